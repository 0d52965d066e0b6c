package io.finetune4j.runner.pipeline;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.runner.config.PipelinePaths;
import io.finetune4j.runtime.service.CheckpointModelSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The {@link ObjectiveContext} the runner hands an objective provider. */
record RunnerObjectiveContext(CausalLM policy, List<Dataset> trainData, int maxLength, long seed, NDManager manager,
                              Optional<RewardFunction> reward, PipelinePaths paths) implements ObjectiveContext {
    @Override
    public ModelSource models() {
        return CheckpointModelSource.INSTANCE;
    }

    @Override
    public Path resolve(String path) {
        return paths.resolve(path);
    }
}
