package io.finetune4j.runner.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --tokenizer DIR}: tokenizer files from another directory than the checkpoint's. */
public final class TokenizerOption {
    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Read the tokenizer from DIR instead of the checkpoint (a checkpoint without tokenizer "
                    + "files still works for token ids).")
    Path tokenizer;

    /** The directory, or null for the checkpoint's own files. */
    public Path dir() {
        return tokenizer;
    }
}
