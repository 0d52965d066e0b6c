package io.finetune4j.api.objective;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import java.util.List;

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
}
