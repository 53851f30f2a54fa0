package io.strata.tests;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What happened when in a fault test, with each door's last sequence number sent, for the report. */
final class Timeline {
    private final long start = System.nanoTime();
    private final StringBuilder text = new StringBuilder();

    /** Notes an event; returns each door's last sequence number sent before it (door name → seq). */
    synchronized Map<String, Integer> mark(String event, List<ProducerDoor> doors) {
        text.append(String.format("%6.1f s  %-60s", (System.nanoTime() - start) / 1e9, event));
        Map<String, Integer> lastSent = new HashMap<>();
        for (ProducerDoor d : doors) {
            lastSent.put(d.name, d.sent());
            text.append(String.format("  door-%s sent %d", d.name, d.sent()));
        }
        text.append('\n');
        return lastSent;
    }

    @Override
    public synchronized String toString() {
        return text.toString();
    }
}
