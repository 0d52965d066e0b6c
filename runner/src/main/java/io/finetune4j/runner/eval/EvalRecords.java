package io.finetune4j.runner.eval;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.service.CheckpointModelSource;

/** The {@link EvalContext} the runner hands an evaluator. */
record EvalRecords(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress)
        implements EvalContext {
    @Override
    public ModelSource models() {
        return CheckpointModelSource.INSTANCE;
    }
}
