package io.strata.cli;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.admin.NewTopic;
import io.strata.client.admin.PartitionReassignment;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.admin.TopicDescription;
import io.strata.proto.v1.ErrorCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** {@code strata topic create|list|describe|delete|alter-config|reassign}. */
@Command(name = "topic", mixinStandardHelpOptions = true,
        description = "Create, list, describe, alter and delete topics, and move partitions' replicas.",
        subcommands = {TopicCommand.Create.class, TopicCommand.ListTopics.class, TopicCommand.Describe.class,
                TopicCommand.Delete.class, TopicCommand.AlterConfig.class, TopicCommand.Reassign.class})
final class TopicCommand {


    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
    static final class Create extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The topic name.")
        String name;

        @Option(names = "--partitions", paramLabel = "N", description = "Partition count (default: the cluster's num.partitions).")
        Integer partitions;

        @Option(names = "--replication-factor", paramLabel = "R",
                description = "Replicas per partition (default: the cluster's default.replication.factor).")
        Integer replicationFactor;

        @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A topic config override; repeatable.")
        Map<String, String> configs = new LinkedHashMap<>();

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text or json (the created topic's description).")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            NewTopic topic = new NewTopic(name,
                    partitions == null ? OptionalInt.empty() : OptionalInt.of(partitions),
                    replicationFactor == null ? OptionalInt.empty() : OptionalInt.of(replicationFactor),
                    configs);
            TopicDescription created = admin.createTopic(topic);
            if (output == OutputFormat.json) {
                out.println(JsonFormat.topicDescription(created));
            } else {
                int n = created.partitions().size();
                out.println("Created topic " + created.name() + " (" + n + (n == 1 ? " partition" : " partitions")
                        + ", replication factor " + created.replicationFactor() + ").");
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List all topics.")
    static final class ListTopics extends AdminCommand {
        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            var topics = admin.listTopics();
            out.print(output == OutputFormat.json ? JsonFormat.topicList(topics) + "\n" : TextFormat.topicList(topics));
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"Describe a topic, or every topic when NAME is left out: partitions (leader, replicas, ISR, ELR) "
                    + "and config. The text marks under-replicated partitions (ISR smaller than the replicas) and offline ones "
                    + "(no leader).",
                    "With --under-replicated and/or --offline only the partitions in that state are shown (either, when both "
                            + "are given): in text one line each, in JSON the same document with fewer partitions."})
    static final class Describe extends AdminCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The topic name; every topic when left out.")
        String name;

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Option(names = {"--under-replicated", "--under-replicated-partitions"},
                description = "Only partitions whose ISR is smaller than their replica list.")
        boolean underReplicated;

        @Option(names = {"--offline", "--unavailable-partitions"}, description = "Only partitions without a leader.")
        boolean offline;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            PartitionFilter filter = new PartitionFilter(underReplicated, offline);
            if (name != null) {
                TopicDescription d = filter.apply(admin.describeTopic(name));
                out.print(output == OutputFormat.json ? JsonFormat.topicDescription(d) + "\n"
                        : filter.any() ? TextFormat.partitionLines(d) : TextFormat.topicDescription(d));
                return;
            }
            List<TopicDescription> all = new java.util.ArrayList<>();
            for (var listing : admin.listTopics()) {
                describeIfExists(admin, listing.name()).map(filter::apply)
                        .filter(d -> !filter.any() || !d.partitions().isEmpty())
                        .ifPresent(all::add);
            }
            if (output == OutputFormat.json) {
                out.println(JsonFormat.topicDescriptions(all));
            } else {
                all.forEach(d -> out.print(filter.any() ? TextFormat.partitionLines(d) : TextFormat.topicDescription(d)));
            }
        }

        /** A topic deleted between the listing and its description is left out. */
        private static java.util.Optional<TopicDescription> describeIfExists(StrataAdmin admin, String topic) {
            try {
                return java.util.Optional.of(admin.describeTopic(topic));
            } catch (StrataException e) {
                if (e.reason() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
                    return java.util.Optional.empty();
                }
                throw e;
            }
        }
    }

    /**
     * Which partitions {@code describe} shows: all, or those under-replicated and/or offline
     * (Kafka's {@code --under-replicated-partitions} and {@code --unavailable-partitions}).
     */
    record PartitionFilter(boolean underReplicated, boolean offline) {

        boolean any() {
            return underReplicated || offline;
        }

        boolean test(PartitionInfo p) {
            return !any() || underReplicated && p.underReplicated() || offline && p.offline();
        }

        TopicDescription apply(TopicDescription d) {
            return any() ? new TopicDescription(d.name(), d.topicId(), d.partitions().stream().filter(this::test).toList(),
                    d.config(), d.overrides(), d.targetReplicas()) : d;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic and its data.")
    static final class Delete extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The topic name.")
        String name;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            admin.deleteTopic(name);
            out.println("Deleted topic " + name + ".");
        }
    }

    @Command(name = "alter-config", mixinStandardHelpOptions = true, description = "Set or remove topic config overrides.")
    static final class AlterConfig extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The topic name.")
        String name;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "An override to set; repeatable.")
        Map<String, String> set = new LinkedHashMap<>();

        @Option(names = "--delete", paramLabel = "KEY", description = "An override to remove; repeatable.")
        List<String> delete = new java.util.ArrayList<>();

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text or json (the topic's description after the change).")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            if (set.isEmpty() && delete.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "Missing option: give at least one --set KEY=VALUE or --delete KEY");
            }
            TopicDescription d = admin.alterTopicConfig(name, set, delete);
            if (output == OutputFormat.json) {
                out.println(JsonFormat.topicDescription(d));
            } else {
                out.println("Updated config of topic " + d.name() + ". Overrides: "
                        + (d.overrides().isEmpty() ? "(none)" : new java.util.TreeMap<>(d.overrides())));
            }
        }
    }

    @Command(name = "reassign", mixinStandardHelpOptions = true,
            description = {"Move a partition's replicas to other nodes: the new replicas are added and copy the log; once all "
                    + "are in sync, leadership moves into the new list if needed and the old replicas are removed. Returns once "
                    + "started; `topic describe` shows the progress (Reassigning: target ...).",
                    "Asking again replaces the target; --cancel stops a reassignment in progress (replicas added for it that "
                            + "have not caught up are removed)."})
    static final class Reassign extends AdminCommand {
        @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic name.")
        String name;

        @Option(names = "--partition", required = true, paramLabel = "P", description = "The partition number.")
        int partition;

        @Option(names = "--replicas", split = ",", paramLabel = "ID[,ID...]",
                description = "The node ids wanted, preferred leader first, e.g. 4,1,2.")
        List<Integer> replicas = new java.util.ArrayList<>();

        @Option(names = "--cancel", description = "Cancel the partition's reassignment in progress.")
        boolean cancel;

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text or json (the partition's state as written).")
        OutputFormat output;

        /** The replica list to send: the one given, or empty for --cancel; exactly one of them is required. */
        List<Integer> target() {
            if (cancel == !replicas.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "Give either --replicas ID[,ID...] or --cancel (exactly one)");
            }
            return cancel ? List.of() : List.copyOf(replicas);
        }

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            List<Integer> target = target();
            PartitionReassignment r = admin.reassignPartition(name, partition, target);
            out.print(output == OutputFormat.json ? JsonFormat.reassignment(r) + "\n" : TextFormat.reassignment(r, cancel));
        }
    }
}
