package io.finetune4j.runner.config;

import java.nio.file.Path;

/** Where a stage's model comes from. */
public sealed interface BaseSpec {
    /** A Hugging Face checkpoint directory (config.json, safetensors, tokenizer files). */
    record Checkpoint(Path dir) implements BaseSpec {}

    /** The model the previous stage saved ({@code <run>/<previous stage>/model}). */
    record Previous() implements BaseSpec {}

    /** The model an earlier stage of the run saved ({@code base: stage:NAME} → {@code <run>/NAME/model}). */
    record Stage(String name) implements BaseSpec {}

    /** Random weights of the architecture in {@code config} with the tokenizer in {@code tokenizer}: pretraining. */
    record RandomInit(Path config, Path tokenizer) implements BaseSpec {}
}
