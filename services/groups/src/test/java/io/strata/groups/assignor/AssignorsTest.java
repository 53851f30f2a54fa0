package io.strata.groups.assignor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AssignorsTest {

    @Test
    void emptyNameMeansUniform() {
        assertThat(Assignors.byName("")).isInstanceOf(UniformAssignor.class);
        assertThat(Assignors.defaultAssignor().name()).isEqualTo("uniform");
    }

    @Test
    void eachNameGivesTheAssignorOfThatName() {
        assertThat(Assignors.names()).containsExactly("uniform", "range");
        for (String name : Assignors.names()) {
            assertThat(Assignors.byName(name).name()).isEqualTo(name);
        }
    }

    @Test
    void unknownNameIsRejectedWithTheValidNames() {
        assertThatThrownBy(() -> Assignors.byName("roundrobin"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("roundrobin")
                .hasMessageContaining("uniform, range");
        assertThatThrownBy(() -> Assignors.byName("Uniform")).isInstanceOf(IllegalArgumentException.class);
    }
}
