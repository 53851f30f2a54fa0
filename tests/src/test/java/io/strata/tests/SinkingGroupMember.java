package io.strata.tests;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRebalanceListener;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.ProcessedOffsets;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.StringDeserializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A consumer-group member in a JVM of its own (so that {@code kill -9} is real), started by
 * {@link GroupsFaultIT} with the test's classpath: it subscribes to a topic and processes each
 * record into a sink exactly once, the way an application with an idempotent sink would, using
 * {@link ProcessedOffsets} to drop what at-least-once delivery brings twice.
 *
 * <p>It owns these files in the sink directory (the test only reads them):
 * <ul>
 *   <li>{@code partition-<P>.log}: the processed records of partition P, one line each, appended
 *       and written through (one {@code write} per line, no buffering in the process, so a
 *       {@code kill -9} loses nothing written; no fsync: the machine does not crash):
 *       {@code offset TAB key TAB value TAB member TAB epoch-ms-processed LF}. Only the partition's
 *       current owner appends. A line without its LF (torn) is cut off by the next owner.</li>
 *   <li>{@code events-<member>.log}: {@code epoch-ms SP kind SP partitions SP detail LF}, kinds
 *       {@link #STARTED}, {@link #ASSIGNED} (the partitions added), {@link #REVOKED}, {@link #LOST},
 *       {@link #DUPLICATE} (a redelivered record dropped: partition and offset), {@link #TORN_LINE_CUT}
 *       (the bytes of a torn line cut from a sink file), {@link #COMMITS_HELD},
 *       {@link #COMMIT_FAILED}, {@link #CLOSED}.</li>
 * </ul>
 *
 * <p>On assignment a partition's sink file seeds {@link ProcessedOffsets} with its last offset;
 * each poll's new records are appended, then committed ({@code commitSync} of the processed
 * offsets), and a revoked partition is committed in {@code onPartitionsRevoked}. When the file
 * {@code hold-commits-<member>} exists the member stops committing (a commit path that stalls),
 * so that a crash then certainly leaves processed records uncommitted. SIGTERM: the member
 * stops polling, closes the consumer (which revokes, so it commits, and leaves the group) and
 * exits 0.
 *
 * <p>Usage: {@code SinkingGroupMember BOOTSTRAP TOPIC GROUP SINK_DIR MEMBER SESSION_TIMEOUT_MS}.
 */
public final class SinkingGroupMember {

    static final String STARTED = "started";
    static final String ASSIGNED = "assigned";
    static final String REVOKED = "revoked";
    static final String LOST = "lost";
    static final String DUPLICATE = "duplicate";
    static final String TORN_LINE_CUT = "torn-line-cut";
    static final String COMMITS_HELD = "commits-held";
    static final String COMMIT_FAILED = "commit-failed";
    static final String CLOSED = "closed";

    /** A processed record as its sink line holds it. */
    record Line(int partition, long offset, String key, String value, String member, long atMs) {
    }

    /** One line of a member's events file. */
    record Event(long atMs, String kind, Set<Integer> partitions, String detail) {
    }

    private final String topic;
    private final Path sink;
    private final String name;
    private final StrataConsumer<String, String> consumer;
    private final ProcessedOffsets processed = new ProcessedOffsets();
    private final Map<Integer, FileChannel> open = new HashMap<>();
    private final FileChannel events;
    private volatile boolean stopping;
    private boolean dirty;
    private boolean held;

    private SinkingGroupMember(String bootstrap, String topic, String group, Path sink, String name, int sessionTimeoutMs)
            throws IOException {
        this.topic = topic;
        this.sink = sink;
        this.name = name;
        this.events = FileChannel.open(eventsFile(sink, name), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        this.consumer = new StrataConsumer<>(Map.of(
                "bootstrap.servers", bootstrap,
                "client.id", name,
                ConsumerConfig.GROUP_ID, group,
                ConsumerConfig.AUTO_OFFSET_RESET, "earliest",
                ConsumerConfig.SESSION_TIMEOUT_MS, Integer.toString(sessionTimeoutMs)),
                new StringDeserializer(), new StringDeserializer());
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: SinkingGroupMember BOOTSTRAP TOPIC GROUP SINK_DIR MEMBER SESSION_TIMEOUT_MS");
            System.exit(2);
        }
        Path sink = Files.createDirectories(Path.of(args[3]));
        SinkingGroupMember member = new SinkingGroupMember(args[0], args[1], args[2], sink, args[4], Integer.parseInt(args[5]));
        // SIGTERM as a clean stop (exit 0), not the JVM's immediate exit with 143.
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> member.stop());
        member.run();
        System.exit(0);
    }

    static Path partitionFile(Path sink, int partition) {
        return sink.resolve("partition-" + partition + ".log");
    }

    static Path eventsFile(Path sink, String member) {
        return sink.resolve("events-" + member + ".log");
    }

    static Path holdFile(Path sink, String member) {
        return sink.resolve("hold-commits-" + member);
    }

    private void stop() {
        stopping = true;
        consumer.wakeup();
    }

    private void run() throws IOException {
        event(STARTED, List.of(), "");
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                commit(partitions);
                release(partitions);
                event(REVOKED, partitions, "");
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                for (TopicPartition tp : partitions) {
                    seed(tp);
                }
                event(ASSIGNED, partitions, "");
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                release(partitions);
                event(LOST, partitions, "");
            }
        });
        while (!stopping) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                if (processed.firstTime(r)) {
                    append(r);
                    processed.markProcessed(r);
                    dirty = true;
                } else {
                    event(DUPLICATE, List.of(new TopicPartition(r.topic(), r.partition())), Long.toString(r.offset()));
                }
            }
            if (dirty) {
                commit(consumer.assignment());
            }
        }
        consumer.close(); // revokes what it owns (the listener commits), then leaves the group
        event(CLOSED, List.of(), "");
    }

    /** Seeds the partition's last processed offset from its sink file, cutting a line torn by a crash. */
    private void seed(TopicPartition tp) {
        try {
            FileChannel ch = channel(tp.partition());
            long size = ch.size();
            if (size == 0) {
                return;
            }
            byte[] bytes = Files.readAllBytes(partitionFile(sink, tp.partition()));
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--;
            }
            if (end < bytes.length) {
                ch.truncate(end);
                event(TORN_LINE_CUT, List.of(tp), (bytes.length - end) + " bytes");
            }
            if (end == 0) {
                return;
            }
            int start = end - 1;
            while (start > 0 && bytes[start - 1] != '\n') {
                start--;
            }
            String last = new String(bytes, start, end - 1 - start, StandardCharsets.UTF_8);
            processed.markProcessed(tp, Long.parseLong(last.substring(0, last.indexOf('\t'))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void append(ConsumerRecord<String, String> r) {
        String line = r.offset() + "\t" + r.key() + "\t" + r.value() + "\t" + name + "\t" + System.currentTimeMillis() + "\n";
        try {
            ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            FileChannel ch = channel(r.partition());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Commits the processed offsets of these partitions, unless commits are held. */
    private void commit(Collection<TopicPartition> partitions) {
        if (Files.exists(holdFile(sink, name))) {
            if (!held) {
                held = true;
                event(COMMITS_HELD, List.of(), "");
            }
            return;
        }
        try {
            consumer.commitSync(processed.offsetsToCommit(partitions));
            dirty = false;
        } catch (StrataException e) {
            event(COMMIT_FAILED, partitions, e.getMessage().replace('\n', ' '));
        }
    }

    private void release(Collection<TopicPartition> partitions) {
        processed.forget(partitions);
        for (TopicPartition tp : partitions) {
            FileChannel ch = open.remove(tp.partition());
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private FileChannel channel(int partition) throws IOException {
        FileChannel ch = open.get(partition);
        if (ch == null) {
            ch = FileChannel.open(partitionFile(sink, partition), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            open.put(partition, ch);
        }
        return ch;
    }

    private void event(String kind, Collection<TopicPartition> partitions, String detail) {
        String ps = partitions.stream().map(TopicPartition::partition).sorted().map(String::valueOf)
                .collect(Collectors.joining(","));
        String line = System.currentTimeMillis() + " " + kind + " " + (ps.isEmpty() ? "-" : ps) + " " + detail + "\n";
        try {
            events.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading the files back (the test's side)

    /** The complete lines of a partition's sink file, in file order (a torn last line is left out). */
    static List<Line> read(Path sink, int partition) throws IOException {
        Path f = partitionFile(sink, partition);
        List<Line> lines = new ArrayList<>();
        if (!Files.exists(f)) {
            return lines;
        }
        String text = Files.readString(f);
        int complete = text.lastIndexOf('\n') + 1;
        for (String l : text.substring(0, complete).split("\n")) {
            if (l.isEmpty()) {
                continue;
            }
            String[] c = l.split("\t", -1);
            lines.add(new Line(partition, Long.parseLong(c[0]), c[1], c[2], c[3], Long.parseLong(c[4])));
        }
        return lines;
    }

    /** A member's events so far (a torn last line is left out). */
    static List<Event> events(Path sink, String member) throws IOException {
        Path f = eventsFile(sink, member);
        List<Event> out = new ArrayList<>();
        if (!Files.exists(f)) {
            return out;
        }
        String text = Files.readString(f);
        for (String l : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
            if (l.isEmpty()) {
                continue;
            }
            String[] c = l.split(" ", 4);
            Set<Integer> ps = c[2].equals("-") ? Set.of() : Arrays.stream(c[2].split(",")).map(Integer::valueOf)
                    .collect(Collectors.toCollection(TreeSet::new));
            out.add(new Event(Long.parseLong(c[0]), c[1], ps, c.length > 3 ? c[3] : ""));
        }
        return out;
    }
}
