package io.strata.coordination.groups;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.election.ElectionFencing;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.coordination.store.TxnResult;
import io.strata.proto.GroupIds;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.DeleteGroupStateRequest;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PutGroupRecordRequest;
import io.strata.proto.v1.StoreGroupOffsetsRequest;
import io.strata.proto.v1.StoredGroup;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Consumer-group state on the metadata store, for the groups role (docs/GROUPS.md); no gRPC here.
 * A group is {@code groups/<group>/record} (its {@link GroupRecord}) and
 * {@code groups/<group>/offsets/<topic>/<partition>} (one {@link OffsetCommit} each).
 *
 * <p>Only the active groups instance writes: every write carries its {@link ElectionFence} and
 * goes through {@link ElectionFencing} — the fence's compare sits in the write's own
 * transaction, so a deposed instance changes nothing (NOT_COORDINATOR). A commit of more
 * offsets than one transaction holds ({@value #MAX_OFFSETS_PER_TXN}, and
 * {@link MetadataStore#MAX_TXN_BYTES} of keys and values) is written in parts, each atomic and
 * fenced; if the instance is deposed between parts, the earlier parts stay (an offset commit
 * is a set of independent per-partition values, as in Kafka).
 *
 * <p>Every method validates its input and throws {@link CoordinationException}
 * (INVALID_REQUEST, NOT_COORDINATOR); the store's failures pass through. Thread-safe
 * (stateless over the store).
 */
public final class GroupStore {

    /** The longest offset metadata string, in characters (Kafka's offset.metadata.max.bytes default). */
    public static final int MAX_METADATA_LENGTH = 4096;
    /** Offsets per transaction: the op limit less one, as the contract promises (coordination.proto). */
    static final int MAX_OFFSETS_PER_TXN = MetadataStore.MAX_TXN_OPS - 1;

    private static final Logger LOG = Logger.getLogger(GroupStore.class);
    /** Group ids in code point order, the store's key order. */
    private static final Comparator<String> GROUP_ID_ORDER = (a, b) -> Arrays.compare(a.codePoints().toArray(),
            b.codePoints().toArray());
    private static final Comparator<OffsetCommit> OFFSET_ORDER = Comparator.comparing(OffsetCommit::getTopic)
            .thenComparingInt(OffsetCommit::getPartition);

    private final MetadataStore store;
    private final ElectionFencing fencing;

    public GroupStore(MetadataStore store) {
        this.store = store;
        this.fencing = new ElectionFencing(store, ErrorCode.NOT_COORDINATOR, "groups instance");
    }

    /**
     * Replaces a group's record.
     *
     * @return the store revision of the write
     * @throws CoordinationException INVALID_REQUEST, NOT_COORDINATOR
     */
    public long putRecord(PutGroupRecordRequest request) {
        if (!request.hasRecord()) {
            throw invalid("record is required");
        }
        GroupRecord record = request.getRecord();
        String groupId = checkGroupId("record.group_id", record.getGroupId());
        byte[] value = record.toByteArray();
        if (value.length > MetadataStore.MAX_VALUE_BYTES) {
            throw invalid("group '" + groupId + "' is too large to store: its record (" + record.getMembersCount()
                    + " members) is " + value.length + " bytes; the limit is " + MetadataStore.MAX_VALUE_BYTES + " bytes");
        }
        Compare leads = fencing.guard(request.hasFence(), request.getFence());
        TxnResult result = store.txn(List.of(leads), List.of(Op.put(Keys.groupRecord(groupId), value)));
        if (!result.succeeded()) {
            throw fencing.deposed(request.getFence());
        }
        LOG.debugf("group %s: record stored (group epoch %d, %d members, revision %d)", groupId, record.getGroupEpoch(),
                record.getMembersCount(), result.revision());
        return result.revision();
    }

    /**
     * Stores committed offsets of one group: in one transaction when they fit
     * ({@value #MAX_OFFSETS_PER_TXN} offsets and the byte limit), else in several, each fenced.
     *
     * @throws CoordinationException INVALID_REQUEST (nothing written), NOT_COORDINATOR (the
     *     parts before the refused one are stored; the message says how many offsets)
     */
    public void storeOffsets(StoreGroupOffsetsRequest request) {
        String groupId = checkGroupId("group_id", request.getGroupId());
        List<Put> puts = new ArrayList<>(request.getOffsetsCount());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < request.getOffsetsCount(); i++) {
            OffsetCommit commit = request.getOffsets(i);
            checkOffset(i, commit);
            Put put = new Put(Keys.groupOffset(groupId, commit.getTopic(), commit.getPartition()), commit.toByteArray());
            Integer earlier = seen.putIfAbsent(put.key(), i);
            if (earlier != null) {
                throw invalid("offsets[" + i + "] commits " + commit.getTopic() + "-" + commit.getPartition() + " again (offsets["
                        + earlier + "] already does); one offset per partition");
            }
            puts.add(put);
        }
        Compare leads = fencing.guard(request.hasFence(), request.getFence());
        List<List<Op>> parts = split(puts, utf8Length(leads.key()));
        int stored = 0;
        for (int part = 0; part < parts.size(); part++) {
            if (!store.txn(List.of(leads), parts.get(part)).succeeded()) {
                CoordinationException deposed = fencing.deposed(request.getFence());
                throw stored == 0 ? deposed : new CoordinationException(deposed.code(), deposed.getMessage() + "; "
                        + stored + " of " + puts.size() + " offsets of group '" + groupId + "' were stored (parts 1.." + part
                        + " of " + parts.size() + "), the rest not");
            }
            stored += parts.get(part).size();
        }
        LOG.debugf("group %s: %d offsets stored in %d transactions", groupId, puts.size(), parts.size());
    }

    /**
     * Deletes a group's record and every committed offset, in one transaction (a prefix delete
     * of {@code groups/<group>/}: the trailing '/' spares groups whose ids merely start alike).
     * Deleting an absent group is not an error.
     *
     * @throws CoordinationException INVALID_REQUEST, NOT_COORDINATOR
     */
    public void delete(DeleteGroupStateRequest request) {
        String groupId = checkGroupId("group_id", request.getGroupId());
        Compare leads = fencing.guard(request.hasFence(), request.getFence());
        if (!store.txn(List.of(leads), List.of(Op.deletePrefix(Keys.groupPrefix(groupId)))).succeeded()) {
            throw fencing.deposed(request.getFence());
        }
        LOG.infof("group %s: state deleted", groupId);
    }

    /**
     * Every stored group, read in one read at one revision: one {@link StoredGroup} per group (its
     * record, if any, and its offsets by topic and partition), in group id order (code points).
     * Keys under {@code groups/} this layout does not define are skipped with a warning.
     *
     * @throws IllegalStateException when a stored value is not a valid message (INTERNAL_ERROR)
     */
    public List<StoredGroup> load() {
        KeyRange range = store.getPrefix(Keys.GROUPS);
        Map<String, StoredGroup.Builder> groups = new TreeMap<>(GROUP_ID_ORDER);
        Map<String, List<OffsetCommit>> offsets = new HashMap<>();
        for (KeyValue kv : range.kvs()) {
            Optional<Keys.GroupKey> key = Keys.parseGroupKey(kv.key());
            if (key.isEmpty()) {
                LOG.warnf("key '%s' (revision %d) is not part of the group layout; LoadGroups skips it", kv.key(), kv.modRevision());
                continue;
            }
            String groupId = key.get().groupId();
            StoredGroup.Builder group = groups.computeIfAbsent(groupId, id -> StoredGroup.newBuilder().setGroupId(id)
                    .setRevision(range.revision()));
            if (key.get().record()) {
                group.setRecord(StoredValues.parse(kv, GroupRecord.parser()));
            } else {
                offsets.computeIfAbsent(groupId, id -> new ArrayList<>()).add(StoredValues.parse(kv, OffsetCommit.parser()));
            }
        }
        List<StoredGroup> loaded = new ArrayList<>(groups.size());
        groups.forEach((groupId, group) -> {
            List<OffsetCommit> committed = offsets.get(groupId);
            if (committed != null) {
                committed.sort(OFFSET_ORDER);
                group.addAllOffsets(committed);
            }
            loaded.add(group.build());
        });
        return loaded;
    }

    /**
     * Cuts the puts into transactions of at most {@value #MAX_OFFSETS_PER_TXN} ops and
     * {@link MetadataStore#MAX_TXN_BYTES} bytes, counting the fence compare's key in each.
     */
    private static List<List<Op>> split(List<Put> puts, int fenceBytes) {
        List<List<Op>> parts = new ArrayList<>();
        List<Op> part = new ArrayList<>();
        long bytes = fenceBytes;
        for (Put put : puts) {
            int size = put.bytes();
            if (!part.isEmpty() && (part.size() == MAX_OFFSETS_PER_TXN || bytes + size > MetadataStore.MAX_TXN_BYTES)) {
                parts.add(part);
                part = new ArrayList<>();
                bytes = fenceBytes;
            }
            part.add(Op.put(put.key(), put.value()));
            bytes += size;
        }
        if (!part.isEmpty() || parts.isEmpty()) {
            parts.add(part); // an empty commit is one fenced transaction of no ops: it checks the fence, changes nothing
        }
        return parts;
    }

    private static void checkOffset(int index, OffsetCommit commit) {
        String entry = "offsets[" + index + "]";
        String badTopic = TopicNames.validate(commit.getTopic());
        if (badTopic != null) {
            throw invalid(entry + ".topic: " + badTopic);
        }
        String partition = commit.getTopic() + "-" + commit.getPartition();
        if (commit.getPartition() < 0) {
            throw invalid(entry + ".partition must be >= 0, got " + commit.getPartition() + " (topic '" + commit.getTopic() + "')");
        }
        if (commit.getOffset() < 0) {
            throw invalid(entry + ".offset must be >= 0, got " + commit.getOffset() + " for " + partition
                    + " (-1 means no committed offset, which is not stored)");
        }
        if (commit.getMetadata().length() > MAX_METADATA_LENGTH) {
            throw invalid(entry + ".metadata is " + commit.getMetadata().length() + " characters for " + partition
                    + "; the limit is " + MAX_METADATA_LENGTH);
        }
    }

    private static String checkGroupId(String field, String groupId) {
        String bad = GroupIds.validate(groupId);
        if (bad != null) {
            throw invalid(field + ": " + bad);
        }
        return groupId;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static CoordinationException invalid(String message) {
        return new CoordinationException(ErrorCode.INVALID_REQUEST, message);
    }

    /** One offset to write, with its size as a transaction counts it (UTF-8 key and value). */
    private record Put(String key, byte[] value) {
        int bytes() {
            return utf8Length(key) + value.length;
        }
    }
}
