package io.finetune4j.bench;

import io.finetune4j.api.ConfigProblems;
import picocli.CommandLine.Option;

/**
 * The random GPT-2 shape every benchmark command takes ({@code --layers --hidden --heads --vocab}), with
 * one set of defaults (the benchmark shape of docs/BENCHMARKS.md) and one check.
 */
public final class ModelShapeOptions {
    @Option(names = "--layers", defaultValue = "6", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--hidden", defaultValue = "512", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--heads", defaultValue = "8", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--vocab", defaultValue = "8192", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    /** Adds a problem per option that is not positive, and for a hidden size that heads do not divide. */
    void check(ConfigProblems problems) {
        positive(problems, "--layers", layers);
        positive(problems, "--hidden", hidden);
        positive(problems, "--heads", heads);
        positive(problems, "--vocab", vocab);
        problems.check(heads <= 0 || hidden % heads == 0, "--hidden", "must be a multiple of --heads (%d), was %d",
                heads, hidden);
    }

    static void positive(ConfigProblems problems, String option, long value) {
        problems.check(value > 0, option, "must be > 0, was %d", value);
    }
}
