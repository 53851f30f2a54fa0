package io.strata.cli;

import io.strata.cli.cluster.ClusterStatus;
import io.strata.cli.cluster.ManagedProcess;
import io.strata.cli.cluster.ProcessStatus;
import io.strata.client.NodeInfo;
import io.strata.client.PartitionInfo;
import io.strata.client.admin.ClientQuota;
import io.strata.client.TopicPartition;
import io.strata.client.admin.ClusterDescription;
import io.strata.client.admin.GroupDescription;
import io.strata.client.admin.GroupListing;
import io.strata.client.admin.GroupMemberDescription;
import io.strata.client.admin.GroupPartitionLag;
import io.strata.client.admin.PartitionReassignment;
import io.strata.client.admin.TopicDescription;
import io.strata.client.admin.TopicListing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The readable text the CLI prints by default. Pure functions, tested without a server. */
final class TextFormat {

    private TextFormat() {
    }

    /** A table: NAME, PARTITIONS, REPLICATION-FACTOR, TOPIC-ID. */
    static String topicList(List<TopicListing> topics) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "PARTITIONS", "REPLICATION-FACTOR", "TOPIC-ID"});
        for (TopicListing t : topics) {
            rows.add(new String[] {t.name(), String.valueOf(t.partitions()), String.valueOf(t.replicationFactor()),
                    t.topicId()});
        }
        return table(rows);
    }

    /** A table: CLIENT-ID ({@code <default>} for the default entity), PRODUCER-BYTE-RATE, CONSUMER-BYTE-RATE ({@code -} = none). */
    static String quotaList(List<ClientQuota> quotas) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"CLIENT-ID", "PRODUCER-BYTE-RATE", "CONSUMER-BYTE-RATE"});
        for (ClientQuota q : quotas) {
            rows.add(new String[] {q.clientId().orElse("<default>"),
                    q.producerByteRate().isPresent() ? String.valueOf(q.producerByteRate().getAsLong()) : "-",
                    q.consumerByteRate().isPresent() ? String.valueOf(q.consumerByteRate().getAsLong()) : "-"});
        }
        return table(rows);
    }

    /** {@code producer_byte_rate=B, consumer_byte_rate=B} ({@code none} when not set). */
    static String quotaRates(ClientQuota q) {
        return "producer_byte_rate=" + (q.producerByteRate().isPresent() ? q.producerByteRate().getAsLong() : "none")
                + ", consumer_byte_rate=" + (q.consumerByteRate().isPresent() ? q.consumerByteRate().getAsLong() : "none");
    }

    /**
     * As {@code kafka-topics --describe}: a summary line with the overrides, then one line per
     * partition ({@link #partitionLines}); the effective config follows.
     */
    static String topicDescription(TopicDescription d) {
        StringBuilder sb = new StringBuilder();
        sb.append("Topic: ").append(d.name())
                .append("\tTopicId: ").append(d.topicId())
                .append("\tPartitionCount: ").append(d.partitions().size())
                .append("\tReplicationFactor: ").append(d.replicationFactor())
                .append("\tConfigs: ").append(joinConfig(d.overrides()))
                .append('\n');
        sb.append(partitionLines(d));
        if (!d.config().isEmpty()) {
            sb.append("Effective config:\n");
            new TreeMap<>(d.config()).forEach((k, v) -> sb.append('\t').append(k).append('=').append(v).append('\n'));
        }
        return sb.toString();
    }

    /**
     * One line per partition, as {@code kafka-topics --describe} (Kafka 3.9 adds {@code Elr}),
     * ending in {@code Reassigning: target 4,1,2} while a reassignment runs, {@code (offline)}
     * when it has no leader and {@code (under-replicated)} when its ISR is smaller than its
     * replica list (as it is while a reassignment adds replicas).
     */
    static String partitionLines(TopicDescription d) {
        StringBuilder sb = new StringBuilder();
        for (PartitionInfo p : d.partitions()) {
            sb.append(partitionLine(d.name(), p, d.targetReplicas(p.partition())));
        }
        return sb.toString();
    }

    private static String partitionLine(String topic, PartitionInfo p, List<Integer> target) {
        StringBuilder sb = new StringBuilder();
        sb.append("\tTopic: ").append(topic)
                .append("\tPartition: ").append(p.partition())
                .append("\tLeader: ").append(p.leader() == null ? "none" : p.leader())
                .append("\tReplicas: ").append(joinInts(p.replicas()))
                .append("\tIsr: ").append(joinInts(p.isr()))
                .append("\tElr: ").append(joinInts(p.elr()));
        if (!target.isEmpty()) {
            sb.append("\tReassigning: target ").append(joinInts(target));
        }
        if (p.offline()) {
            sb.append("\t(offline)");
        }
        if (p.underReplicated()) {
            sb.append("\t(under-replicated)");
        }
        return sb.append('\n').toString();
    }

    /**
     * What {@code topic reassign} wrote: a sentence, then the partition's line as in
     * {@link #partitionLines}.
     */
    static String reassignment(PartitionReassignment r, boolean cancel) {
        PartitionInfo p = r.partition();
        String name = p.topic() + "-" + p.partition();
        String head;
        if (r.inProgress()) {
            head = "Reassigning " + name + " to replicas " + joinInts(r.targetReplicas())
                    + ": the new replicas copy the log; once all are in sync the old ones are removed.";
        } else if (cancel) {
            head = "No reassignment of " + name + " in progress now; replicas " + joinInts(p.replicas()) + ".";
        } else {
            head = name + " has replicas " + joinInts(p.replicas()) + ": nothing to move.";
        }
        return head + "\n" + partitionLine(p.topic(), p, r.targetReplicas());
    }

    /** A table: GROUP, STATE, MEMBERS. */
    static String groupList(List<GroupListing> groups) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"GROUP", "STATE", "MEMBERS"});
        for (GroupListing g : groups) {
            rows.add(new String[] {g.groupId(), g.state(), String.valueOf(g.members())});
        }
        return table(rows);
    }

    /**
     * A summary line, the partitions (TOPIC, PARTITION, CURRENT-OFFSET, LOG-END-OFFSET, LAG, MEMBER-ID, HOST, CLIENT-ID,
     * as Kafka's kafka-consumer-groups.sh --describe prints them; "-" for none), then the members.
     */
    static String groupDescription(GroupDescription d) {
        StringBuilder sb = new StringBuilder();
        sb.append("Group: ").append(d.groupId()).append("\tState: ").append(d.state())
                .append("\tEpoch: ").append(d.groupEpoch()).append("\tAssignor: ").append(d.assignor())
                .append("\tMembers: ").append(d.members().size()).append("\tTotalLag: ").append(d.totalLag()).append("\n\n");
        Map<String, GroupMemberDescription> byId = new TreeMap<>();
        d.members().forEach(m -> byId.put(m.memberId(), m));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "HOST", "CLIENT-ID"});
        for (GroupPartitionLag p : d.partitions()) {
            GroupMemberDescription owner = p.memberId().map(byId::get).orElse(null);
            rows.add(new String[] {p.partition().topic(), String.valueOf(p.partition().partition()),
                    p.committed().isPresent() ? String.valueOf(p.committed().getAsLong()) : "-",
                    p.logEndOffset() < 0 ? "-" : String.valueOf(p.logEndOffset()),
                    p.lag() < 0 ? "-" : String.valueOf(p.lag()),
                    p.memberId().orElse("-"), owner == null ? "-" : owner.host(), owner == null ? "-" : owner.clientId()});
        }
        sb.append(table(rows));
        if (!d.members().isEmpty()) {
            List<String[]> members = new ArrayList<>();
            members.add(new String[] {"MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "EPOCH", "PARTITIONS"});
            for (GroupMemberDescription m : d.members()) {
                members.add(new String[] {m.memberId(), m.instanceId().orElse("-"), m.clientId(), m.host(),
                        String.valueOf(m.memberEpoch()), partitionList(m.assignment())});
            }
            sb.append('\n').append(table(members));
        }
        return sb.toString();
    }

    /** A table: GROUP, TOPIC, PARTITION, NEW-OFFSET (a reset's plan). */
    static String offsetReset(String groupId, Map<TopicPartition, Long> offsets) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"});
        offsets.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                rows.add(new String[] {groupId, e.getKey().topic(), String.valueOf(e.getKey().partition()),
                        String.valueOf(e.getValue())}));
        return table(rows);
    }

    private static String partitionList(Collection<TopicPartition> partitions) {
        return partitions.isEmpty() ? "-" : partitions.stream().sorted()
                .map(tp -> tp.topic() + "-" + tp.partition()).collect(Collectors.joining(","));
    }

    /** The cluster id, then a table of live nodes. */
    static String cluster(ClusterDescription c) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NODE", "HOST", "PORT", "RACK"});
        for (NodeInfo n : c.nodes()) {
            rows.add(new String[] {String.valueOf(n.id()), n.host(), String.valueOf(n.port()), n.rack()});
        }
        return "Cluster: " + c.clusterId() + "\n" + table(rows);
    }

    /** The bootstrap, then a table: ROLE, ID, PID, ALIVE, READY, REGISTERED, PORTS, DATA-DIR. */
    static String clusterStatus(ClusterStatus status) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ROLE", "ID", "PID", "ALIVE", "READY", "REGISTERED", "PORTS", "DATA-DIR"});
        for (ProcessStatus s : status.processes()) {
            ManagedProcess p = s.process();
            String ports = p.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(","));
            rows.add(new String[] {p.role(), String.valueOf(p.id()), String.valueOf(p.pid()), yesNo(s.alive()),
                    yesNo(s.ready()), s.registered() == null ? "-" : yesNo(s.registered()), ports, p.dataDir()});
        }
        return "Bootstrap: " + status.manifest().bootstrap() + "\n" + table(rows)
                + status.metadataError().map(e -> "(registered unknown: coordination did not answer: " + e + ")\n").orElse("");
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    /** Left-aligned columns separated by two spaces; no trailing spaces. */
    static String table(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - row[i].length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String joinConfig(Map<String, String> config) {
        return new TreeMap<>(config).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private static String joinInts(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
