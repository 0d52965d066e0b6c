package io.finetune4j.api.reward;

import ai.djl.Device;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.model.TextTokenizer;
import java.nio.file.Path;

/** What a reward function may use when it is created. */
@Stable
public interface RewardContext {
    /** The policy's tokenizer; a reward model with another vocabulary must say so and stop. */
    TextTokenizer tokenizer();

    /** Where models are loaded. */
    Device device();

    /**
     * Loads and checks the checkpoints this reward function may need (a scoring model sharing the policy's
     * vocabulary); the runner provides the runtime's implementation.
     */
    default ModelSource models() {
        throw new UnsupportedOperationException(getClass().getName() + " provides no model source");
    }

    /**
     * A path written in the pipeline file: relative paths resolve against the file's directory, and
     * {@code stage:NAME} is the output directory of the earlier stage NAME in this run.
     */
    Path resolve(String path);
}
