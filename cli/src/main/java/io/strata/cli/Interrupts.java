package io.strata.cli;

/**
 * Signal handling for long-running commands: the first SIGINT (Ctrl-C) runs the command's stop
 * action so it can finish cleanly and exit 0; a second one exits at once with 130. Commands that
 * must finish cleanly on SIGTERM too (a group member commits and leaves) also install
 * {@link #onTerminate}: a second SIGTERM exits at once with 143.
 */
final class Interrupts {

    private Interrupts() {
    }

    /** Installs {@code stop} as the SIGINT action; does nothing where signals cannot be handled. */
    static void onInterrupt(Runnable stop) {
        on("INT", 130, stop);
    }

    /** Installs {@code stop} as the SIGTERM action (instead of the JVM's immediate exit). */
    static void onTerminate(Runnable stop) {
        on("TERM", 143, stop);
    }

    private static void on(String signalName, int secondExitCode, Runnable stop) {
        try {
            java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
            sun.misc.Signal.handle(new sun.misc.Signal(signalName), signal -> {
                if (seen.getAndSet(true)) {
                    Runtime.getRuntime().halt(secondExitCode);
                }
                stop.run();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // No signal support: the JVM's default handling (exit 130) applies.
        }
    }
}
