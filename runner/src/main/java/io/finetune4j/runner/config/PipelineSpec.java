package io.finetune4j.runner.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A validated pipeline file.
 *
 * @param file the pipeline file itself; relative paths in it were resolved against its directory
 */
public record PipelineSpec(String name, long seed, Path file, List<StageSpec> stages) {
    public PipelineSpec {
        stages = List.copyOf(stages);
    }
}
