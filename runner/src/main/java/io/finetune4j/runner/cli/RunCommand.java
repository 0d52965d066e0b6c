package io.finetune4j.runner.cli;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.pipeline.RunDirectory;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ft4j run PIPELINE.yaml [--output DIR [--resume | --overwrite]]}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Validate a pipeline file completely, then run its stages in order.")
public final class RunCommand implements Action {
    @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "The pipeline file.")
    Path pipeline;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Run directory (default: runs/<name>-<yyyyMMdd-HHmmss> under the current directory).")
    Path output;

    @Option(names = "--resume",
            description = "Continue the run in --output: skip the stages it finished, resume the interrupted one "
                    + "from its latest checkpoint (training.save_steps).")
    boolean resume;

    @Option(names = "--overwrite",
            description = "When --output already holds a run, move it aside to DIR.replaced-N (never deleted) and "
                    + "start afresh.")
    boolean overwrite;

    @Override
    public int run(Ft4j app) {
        if (resume && output == null) {
            throw new ConfigException("--resume needs --output DIR: the run directory to continue");
        }
        if (resume && overwrite) {
            throw new ConfigException("--resume and --overwrite contradict each other: continue the run in --output, "
                    + "or move it aside and start afresh");
        }
        app.pipelines().run(pipeline, Optional.ofNullable(output), resume ? RunDirectory.Mode.RESUME
                : overwrite ? RunDirectory.Mode.OVERWRITE : RunDirectory.Mode.NEW);
        return 0;
    }
}
