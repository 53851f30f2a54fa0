package io.strata.cli;

import io.strata.client.TopicPartition;
import io.strata.client.admin.GroupDescription;
import io.strata.client.admin.GroupListing;
import io.strata.client.admin.OffsetResetSpec;
import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** {@code strata group list|describe|reset-offsets|delete}: consumer groups, their lag and committed offsets. */
@Command(name = "group", mixinStandardHelpOptions = true,
        description = "List and describe consumer groups (members, assignment, lag), reset their committed offsets, delete them.",
        subcommands = {GroupCommand.ListGroups.class, GroupCommand.Describe.class, GroupCommand.ResetOffsets.class,
                GroupCommand.Delete.class})
final class GroupCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List every group: those with members and those with only committed offsets.")
    static final class ListGroups extends AdminCommand {
        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            List<GroupListing> groups = admin.listGroups();
            out.print(output == OutputFormat.json ? JsonFormat.groupList(groups) + "\n" : TextFormat.groupList(groups));
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "Members, assignment and, per partition, the committed offset, log end offset and lag.")
    static final class Describe extends AdminCommand {
        @Parameters(index = "0", paramLabel = "GROUP", description = "The group.")
        String group;

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            GroupDescription d = admin.describeGroup(group);
            out.print(output == OutputFormat.json ? JsonFormat.groupDescription(d) + "\n" : TextFormat.groupDescription(d));
        }
    }

    /** Exactly one target of a reset. */
    static final class ResetTarget {
        @Option(names = "--to-earliest", description = "The log start of each partition.")
        boolean earliest;

        @Option(names = "--to-latest", description = "The log end of each partition (skip everything so far).")
        boolean latest;

        @Option(names = "--to-offset", paramLabel = "N", description = "Offset N on every partition (kept within the log).")
        Long offset;

        @Option(names = "--to-time", paramLabel = "EPOCH_MS",
                description = "The first record at or after EPOCH_MS on each partition (the log end where none is).")
        Long time;

        OffsetResetSpec spec() {
            if (earliest) {
                return OffsetResetSpec.earliest();
            }
            if (latest) {
                return OffsetResetSpec.latest();
            }
            return offset != null ? OffsetResetSpec.offset(offset) : OffsetResetSpec.time(time);
        }
    }

    @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
            description = {"Move a group's committed offsets on every partition of a topic. Prints the plan and changes "
                    + "nothing unless --execute is given. Refused while the group has live members (stop them first), "
                    + "as Kafka's tool does."})
    static final class ResetOffsets extends AdminCommand {
        @Parameters(index = "0", paramLabel = "GROUP", description = "The group.")
        String group;

        @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic whose offsets move.")
        String topic;

        @ArgGroup(exclusive = true, multiplicity = "1")
        ResetTarget target;

        @Option(names = "--execute", description = "Apply the plan (without it: a dry run).")
        boolean execute;

        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            if (target.offset != null && target.offset < 0) {
                throw new ParameterException(spec.commandLine(), "--to-offset must be >= 0, got " + target.offset);
            }
            if (target.time != null && target.time < 0) {
                throw new ParameterException(spec.commandLine(), "--to-time must be >= 0, got " + target.time);
            }
            Map<TopicPartition, Long> plan = admin.resetOffsets(group, topic, target.spec(), execute);
            if (output == OutputFormat.json) {
                out.println(JsonFormat.offsetReset(group, execute, plan));
                return;
            }
            out.print(TextFormat.offsetReset(group, plan));
            PrintWriter err = spec.commandLine().getErr();
            err.println(execute ? "Committed the new offsets of group '" + group + "'."
                    : "Dry run: nothing changed. Add --execute to commit these offsets.");
            err.flush();
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a group and its committed offsets. Refused while it has live members.")
    static final class Delete extends AdminCommand {
        @Parameters(index = "0", paramLabel = "GROUP", description = "The group.")
        String group;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            admin.deleteGroup(group);
            out.println("Deleted group '" + group + "'.");
        }
    }
}
