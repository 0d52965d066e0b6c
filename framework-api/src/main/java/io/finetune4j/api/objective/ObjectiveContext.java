package io.finetune4j.api.objective;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.reward.RewardFunction;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What an objective trains and on which data. */
@Stable
public interface ObjectiveContext {
    /** The model being trained, with its method applied. */
    CausalLM policy();

    /** The stage's training datasets, in the order the pipeline lists them. */
    List<Dataset> trainData();

    /** Longest tokenized sequence; longer ones are truncated by the objective's documented rule. */
    int maxLength();

    long seed();

    /** Lives as long as the objective (precomputed reference log-probs, heads). */
    NDManager manager();

    /**
     * The stage's {@code reward:} function (PPO, GRPO), created by the runner and closed after the stage;
     * empty when the stage names none.
     */
    default Optional<RewardFunction> reward() {
        return Optional.empty();
    }

    /**
     * Loads the second models this objective may need (a reference, a baseline, a judge checkpoint); the runner
     * provides the runtime's implementation.
     */
    default ModelSource models() {
        throw new UnsupportedOperationException(getClass().getName() + " provides no model source");
    }

    /**
     * A path written in the pipeline file: relative paths resolve against the file's directory, and
     * {@code stage:NAME} is the output directory of the earlier stage NAME in this run.
     */
    default Path resolve(String path) {
        return Path.of(path);
    }
}
