package io.strata.cli;

import io.strata.client.admin.ClientQuota;
import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.util.OptionalLong;

/**
 * {@code strata quota set|list|delete}: client-id quotas (docs/QUOTAS.md), bytes per second per
 * client id on each storage node and ingestion instance; {@code --default} stands for the
 * default entity (Kafka's {@code <default>} client id).
 */
@Command(name = "quota", mixinStandardHelpOptions = true,
        description = "Set, list and delete client-id quotas (bytes per second per client id, per node).",
        subcommands = {QuotaCommand.Set.class, QuotaCommand.ListQuotas.class, QuotaCommand.Delete.class})
final class QuotaCommand {

    /** Which quota entity a command names: one client id, or the default entity. */
    static final class Entity {
        @Option(names = "--client-id", paramLabel = "ID", required = true, description = "The client id.")
        String clientId;

        @Option(names = "--default", required = true,
                description = "The default entity: the quota of every client id without its own.")
        boolean defaultEntity;

        String describe() {
            return clientId == null ? "the default entity" : "client id '" + clientId + "'";
        }
    }


    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set the quota of a client id (or the default); rates not given keep their value.")
    static final class Set extends AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Entity entity;

        @Option(names = "--producer-byte-rate", paramLabel = "B",
                description = "Bytes per second the client id may produce to each storage node (and publish to each ingestion instance).")
        Long producerByteRate;

        @Option(names = "--consumer-byte-rate", paramLabel = "B",
                description = "Bytes per second the client id may fetch from each storage node.")
        Long consumerByteRate;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            if (producerByteRate == null && consumerByteRate == null) {
                throw new ParameterException(spec.commandLine(),
                        "Missing option: give --producer-byte-rate B, --consumer-byte-rate B, or both");
            }
            OptionalLong producer = producerByteRate == null ? OptionalLong.empty() : OptionalLong.of(producerByteRate);
            OptionalLong consumer = consumerByteRate == null ? OptionalLong.empty() : OptionalLong.of(consumerByteRate);
            ClientQuota set = entity.defaultEntity ? admin.setDefaultQuota(producer, consumer)
                    : admin.setQuota(entity.clientId, producer, consumer);
            out.println("Set the quota of " + entity.describe() + ": " + TextFormat.quotaRates(set) + ".");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List every quota set.")
    static final class ListQuotas extends AdminCommand {
        @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
        OutputFormat output;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            var quotas = admin.listQuotas();
            out.print(output == OutputFormat.json ? JsonFormat.quotaList(quotas) + "\n" : TextFormat.quotaList(quotas));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete the quota of a client id (or the default).")
    static final class Delete extends AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Entity entity;

        @Override
        void run(StrataAdmin admin, PrintWriter out) {
            ClientQuota deleted = entity.defaultEntity ? admin.deleteDefaultQuota() : admin.deleteQuota(entity.clientId);
            out.println("Deleted the quota of " + entity.describe() + " (was " + TextFormat.quotaRates(deleted) + ").");
        }
    }
}
