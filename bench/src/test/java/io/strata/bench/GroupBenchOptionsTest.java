package io.strata.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The command lines of {@link RebalanceBench} and {@link CommitRateBench} ({@link BenchArgs}); the
 * measurements themselves need a server ({@code bench/run-rebalance-bench.sh},
 * {@code bench/run-commit-rate-bench.sh}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupBenchOptionsTest {

    @Test
    void benchArgsReadBothFormsAndRefuseWhatTheyDoNotKnow() {
        BenchArgs a = BenchArgs.parse(Set.of("n", "s", "kv", "l"), "--n", "5", "--s=x=y", "--kv", "a=1, b = 2", "--l", "p,q r");
        assertThat(a.number("n", 0, 1, 10)).isEqualTo(5);
        assertThat(a.string("s", "")).isEqualTo("x=y");
        assertThat(a.pairs("kv")).isEqualTo(Map.of("a", "1", "b", "2"));
        assertThat(a.list("l", "")).containsExactly("p", "q", "r");
        assertThat(a.number("missing", 7, 1, 10)).isEqualTo(7);
        assertThatThrownBy(() -> a.number("n", 0, 6, 10)).hasMessageContaining("--n must be in [6, 10], got 5");
        assertThatThrownBy(() -> a.required("missing")).hasMessage("--missing is required");
        assertThatThrownBy(() -> BenchArgs.parse(Set.of("n"), "--m", "1")).hasMessage("unknown option --m");
        assertThatThrownBy(() -> BenchArgs.parse(Set.of("n"), "--n")).hasMessage("option --n needs a value");
        assertThatThrownBy(() -> BenchArgs.parse(Set.of("n"), "n")).hasMessage("unexpected argument 'n'");
        assertThatThrownBy(() -> BenchArgs.parse(Set.of("n"), "--n", "x").number("n", 0, 0, 9))
                .hasMessage("--n needs a number, got 'x'");
        assertThatThrownBy(() -> BenchArgs.parse(Set.of("kv"), "--kv", "novalue").pairs("kv")).hasMessageContaining("KEY=VALUE");
    }

    @Test
    void rebalanceDefaultsAreTheIssuesWorkload() {
        RebalanceBench.Options o = RebalanceBench.Options.parse("--bootstrap", "h:1");
        assertThat(o.partitions()).isEqualTo(1000);
        assertThat(o.members()).isEqualTo(100);
        assertThat(o.rounds()).isEqualTo(10);
        assertThat(o.targetMs()).isEqualTo(2000);
        assertThat(o.group()).startsWith("rebalance-bench-");
        assertThat(o.consumerProps()).isEmpty();

        RebalanceBench.Options small = RebalanceBench.Options.parse("--bootstrap=h:1", "--members", "10", "--partitions", "60",
                "--rounds", "2", "--rate", "500", "--consumer-props", "fetch.max.wait.ms=100", "--producer-props", "");
        assertThat(small.members()).isEqualTo(10);
        assertThat(small.partitions()).isEqualTo(60);
        assertThat(small.rate()).isEqualTo(500);
        assertThat(small.consumerProps()).containsEntry("fetch.max.wait.ms", "100");
        assertThat(small.producerProps()).isEmpty();

        assertThatThrownBy(RebalanceBench.Options::parse).hasMessage("--bootstrap is required");
        assertThatThrownBy(() -> RebalanceBench.Options.parse("--bootstrap", "h:1", "--members", "0")).hasMessageContaining("--members");
    }

    @Test
    void commitRateTakesItsLayouts() {
        CommitRateBench.Options o = CommitRateBench.Options.parse("--bootstrap", "h:1");
        assertThat(o.threads()).isEqualTo(8);
        assertThat(o.perMember()).isEqualTo(4);
        assertThat(o.modes()).isEqualTo(List.of("members", "groups"));
        assertThat(o.label()).isEqualTo("h:1");

        CommitRateBench.Options one = CommitRateBench.Options.parse("--bootstrap", "h:1", "--modes", "groups", "--threads", "2",
                "--label", "cluster");
        assertThat(one.modes()).containsExactly("groups");
        assertThat(one.threads()).isEqualTo(2);
        assertThat(one.label()).isEqualTo("cluster");

        assertThatThrownBy(() -> CommitRateBench.Options.parse("--bootstrap", "h:1", "--modes", "both"))
                .hasMessageContaining("members and/or groups");
        assertThatThrownBy(() -> CommitRateBench.Options.parse("--bootstrap", "h:1", "--duration-s", "0"))
                .hasMessageContaining("--duration-s");
    }
}
