package io.strata.cli;

import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Shared plumbing of the admin subcommands (topic, quota, group): one admin client per run, output flushed, exit 0. */
abstract class AdminCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        try (StrataAdmin admin = Clients.admin(StrataCli.of(spec).bootstrap())) {
            PrintWriter out = spec.commandLine().getOut();
            run(admin, out);
            out.flush();
            return 0;
        }
    }

    abstract void run(StrataAdmin admin, PrintWriter out);
}
