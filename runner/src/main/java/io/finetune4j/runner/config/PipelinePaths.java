package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a path a plugin's settings name (a reward model, a judge, a reference checkpoint):
 * {@code stage:NAME} is the output directory of stage NAME in this run, which must already be written;
 * anything else resolves against the pipeline file's directory.
 *
 * @param pipelineDir the directory of the pipeline file
 * @param runDir the run directory, holding one directory per finished stage
 */
public record PipelinePaths(Path pipelineDir, Path runDir) {
    public static final String STAGE_PREFIX = "stage:";

    public PipelinePaths {
        requireNonNull(pipelineDir, "pipelineDir is null");
        requireNonNull(runDir, "runDir is null");
    }

    public Path resolve(String raw) {
        requireNonNull(raw, "path is null");
        if (raw.startsWith(STAGE_PREFIX)) {
            String stage = raw.substring(STAGE_PREFIX.length());
            Path dir = runDir.resolve(stage).normalize();
            if (stage.isEmpty() || !dir.getParent().equals(runDir.normalize()) || !Files.isDirectory(dir)) {
                throw new ConfigException(String.format("'%s': no output of a stage named '%s' in %s; "
                        + "stage:NAME must name a stage that ran earlier in this pipeline", raw, stage, runDir));
            }
            return dir;
        }
        return pipelineDir.resolve(raw).normalize();
    }
}
