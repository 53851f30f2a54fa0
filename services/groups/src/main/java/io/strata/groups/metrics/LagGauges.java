package io.strata.groups.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The consumer-group gauges in a registry, following {@link LagSnapshot}s: a gauge is registered
 * when its (name, tags) first appears and removed when a snapshot no longer has it (a group or
 * partition gone, or this instance no longer active), so scrapes show exactly the latest snapshot.
 * Scrapes read the stored value; nothing is computed per scrape. {@link #show} is called by one
 * thread at a time.
 */
final class LagGauges {

    /** A gauge's current value (the gauge holds it strongly). */
    private static final class Value {
        volatile double value;
    }

    private record Registered(Gauge gauge, Value value) {
    }

    private final MeterRegistry registry;
    private final Map<LagSnapshot.Key, Registered> gauges = new HashMap<>();

    LagGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    synchronized void show(LagSnapshot snapshot) {
        Map<LagSnapshot.Key, Double> values = snapshot.values();
        for (Iterator<Map.Entry<LagSnapshot.Key, Registered>> it = gauges.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<LagSnapshot.Key, Registered> e = it.next();
            if (!values.containsKey(e.getKey())) {
                registry.remove(e.getValue().gauge());
                it.remove();
            }
        }
        values.forEach((key, value) -> {
            Registered r = gauges.get(key);
            if (r != null) {
                r.value().value = value;
            } else {
                gauges.put(key, register(key, value));
            }
        });
    }

    private Registered register(LagSnapshot.Key key, double value) {
        Value holder = new Value();
        holder.value = value;
        Gauge gauge = Gauge.builder(key.name(), holder, v -> v.value).tags(key.tags())
                .description(LagSnapshot.DESCRIPTIONS.get(key.name())).strongReference(true).register(registry);
        return new Registered(gauge, holder);
    }

    synchronized int size() {
        return gauges.size();
    }
}
