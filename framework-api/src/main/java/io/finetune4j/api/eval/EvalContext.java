package io.finetune4j.api.eval;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;

/** What an evaluator judges and on which data. */
@Stable
public interface EvalContext {
    /** The model as the stage left it (adapters active). */
    CausalLM model();

    Dataset data();

    int maxLength();

    long seed();

    ProgressListener progress();
}
