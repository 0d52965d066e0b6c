package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ft4j validate}: everything {@code ft4j run} checks before it loads weights (the whole pipeline
 * file, plugin configs, data files), plus what would fail later on the first stage that needs it: a
 * checkpoint base without weights, or without a tokenizer when its data must be tokenized.
 */
public final class PipelineValidation {
    private final PipelineParser parser;
    private final Console console;

    @Inject
    public PipelineValidation(PipelineParser parser, Console console) {
        this.parser = requireNonNull(parser, "parser is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** The validated pipeline; every problem at once as a {@link ConfigException}. */
    public PipelineSpec validate(Path file) {
        PipelineSpec spec = parser.parse(file);
        List<String> problems = new ArrayList<>();
        for (StageSpec stage : spec.stages()) {
            if (stage.base() instanceof BaseSpec.Checkpoint checkpoint) {
                Path dir = checkpoint.dir();
                if (!Files.isRegularFile(dir.resolve(CheckpointReader.WEIGHTS))
                        && !Files.isRegularFile(dir.resolve(CheckpointReader.WEIGHTS_INDEX))) {
                    problems.add(String.format("%s.base: %s has no %s nor %s", stage.path(), dir,
                            CheckpointReader.WEIGHTS, CheckpointReader.WEIGHTS_INDEX));
                }
                if (stage.tokenizer().isEmpty() && !IdsOnlyTokenizer.hasTokenizerFiles(dir)) {
                    problems.add(String.format("%s.base: %s has no tokenizer (tokenizer.json, or vocab.json + "
                            + "merges.txt) and the stage's data must be tokenized; add 'tokenizer: DIR' to the stage",
                            stage.path(), dir));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        for (StageSpec stage : spec.stages()) {
            int rows = stage.trainData().stream().mapToInt(Dataset::size).sum();
            console.result(String.format(Locale.ROOT, "%s %s: method %s, objective %s, %d training rows from %s",
                    stage.path(), stage.name(), stage.method().id(), stage.objective().id(), rows,
                    stage.trainFiles().stream().map(path -> path.getFileName().toString()).toList()));
        }
        console.result(String.format(Locale.ROOT, "%s: valid (%d stages)", file, spec.stages().size()));
        return spec;
    }
}
