package io.finetune4j.runner.cli;


/** A subcommand: its options are parsed by picocli, its work done by the injected {@link Ft4j}. */
public interface Action {
    /** Returns the exit code. */
    int run(Ft4j app);
}
