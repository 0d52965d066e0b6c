package io.finetune4j.runner.eval;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.service.CheckpointModelSource;
import java.nio.file.Path;
import java.util.function.Function;

/** The {@link EvalContext} the runner hands an evaluator. */
record EvalRecords(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress,
                   Function<String, Path> resolver) implements EvalContext {
    @Override
    public ModelSource models() {
        return CheckpointModelSource.INSTANCE;
    }

    @Override
    public Path resolve(String path) {
        return resolver.apply(path);
    }
}
