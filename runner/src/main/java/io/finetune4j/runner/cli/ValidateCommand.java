package io.finetune4j.runner.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ft4j validate PIPELINE.yaml}: exit 0 when {@code run} would start, 2 with every problem otherwise. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a pipeline file as run does before loading weights (config, plugins, data, "
                + "checkpoints, tokenizers), then exit: 0 when valid, 2 with every problem listed.")
public final class ValidateCommand implements Action {
    @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "The pipeline file.")
    Path pipeline;

    @Override
    public int run(Ft4j app) {
        app.validation().validate(pipeline);
        return 0;
    }
}
