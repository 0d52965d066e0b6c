package io.finetune4j.runner.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ft4j inspect-data PIPELINE.yaml [--stage NAME] [--rows N]}. */
@Command(name = "inspect-data", mixinStandardHelpOptions = true,
        description = "Show what a stage's model will see: the first rows rendered and tokenized, trained tokens "
                + "marked ([brackets], or green on a terminal), truncation, and per-file statistics. Loads no weights.")
public final class InspectDataCommand implements Action {
    @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "The pipeline file.")
    Path pipeline;

    @Option(names = "--stage", paramLabel = "NAME", description = "The stage (default: the first).")
    String stage;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "3", description = "Rows to show (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--color", paramLabel = "auto|always|never", defaultValue = "auto",
            description = "Colour trained tokens instead of bracketing them: auto (on a terminal), always, never.")
    String color;

    @Override
    public int run(Ft4j app) {
        boolean colored = switch (color) {
            case "always" -> true;
            case "never" -> false;
            case "auto" -> System.console() != null && !"dumb".equals(System.getenv("TERM"));
            default -> throw new io.finetune4j.api.ConfigException("--color: must be auto, always or never, was '" + color + "'");
        };
        app.inspection().inspect(pipeline, Optional.ofNullable(stage), rows, colored);
        return 0;
    }
}
