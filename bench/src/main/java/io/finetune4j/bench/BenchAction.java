package io.finetune4j.bench;

/**
 * A bench subcommand that trains with plugins: {@code ft4j} parses its options with picocli, then calls
 * {@link #run} with its plugin registry. Returns the exit code.
 */
public interface BenchAction {
    int run(BenchPlugins plugins);
}
