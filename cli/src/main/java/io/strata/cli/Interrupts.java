package io.strata.cli;

/**
 * Ctrl-C handling for long-running commands: the first SIGINT runs the command's stop action so
 * it can finish cleanly and exit 0; a second one exits at once with 130.
 */
final class Interrupts {

    private Interrupts() {
    }

    /** Installs {@code stop} as the SIGINT action; does nothing where signals cannot be handled. */
    static void onInterrupt(Runnable stop) {
        try {
            java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> {
                if (seen.getAndSet(true)) {
                    Runtime.getRuntime().halt(130);
                }
                stop.run();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // No signal support: the JVM's default handling (exit 130) applies.
        }
    }
}
