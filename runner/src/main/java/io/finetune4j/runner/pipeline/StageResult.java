package io.finetune4j.runner.pipeline;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a finished stage left in its directory.
 *
 * @param model the saved (merged or fully fine-tuned) checkpoint, which a later {@code base: previous} loads
 * @param adapter the saved adapter, for adapter methods
 */
public record StageResult(String stage, String methodId, Path dir, Optional<Path> model, Optional<Path> adapter) {}
