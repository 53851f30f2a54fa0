package io.strata.groups.assignor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The server-side assignors a member may ask for in {@code server_assignor}, by name. Names match
 * exactly (case-sensitive, as Kafka's); the empty name means the default, {@value UniformAssignor#NAME}.
 * The assignors are stateless, so one instance of each is shared.
 */
public final class Assignors {

    private static final Map<String, PartitionAssignor> BY_NAME = index(new UniformAssignor(), new RangeAssignor());
    private static final List<String> NAMES = List.copyOf(BY_NAME.keySet());

    private Assignors() {
    }

    /**
     * The assignor called {@code name}, or the default one for {@code ""}.
     *
     * @throws IllegalArgumentException if no assignor has that name; the message lists the valid names
     */
    public static PartitionAssignor byName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            return defaultAssignor();
        }
        PartitionAssignor assignor = BY_NAME.get(name);
        if (assignor == null) {
            throw new IllegalArgumentException("unknown server assignor '" + name + "'; valid names: "
                    + String.join(", ", NAMES));
        }
        return assignor;
    }

    /** The default assignor, {@value UniformAssignor#NAME}. */
    public static PartitionAssignor defaultAssignor() {
        return BY_NAME.get(UniformAssignor.NAME);
    }

    /** The valid names, the default first. */
    public static List<String> names() {
        return NAMES;
    }

    private static Map<String, PartitionAssignor> index(PartitionAssignor... assignors) {
        Map<String, PartitionAssignor> byName = new LinkedHashMap<>();
        for (PartitionAssignor assignor : assignors) {
            byName.put(assignor.name(), assignor);
        }
        return Collections.unmodifiableMap(byName);
    }
}
