package io.finetune4j.runner.pipeline;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.objective.ObjectiveContext;
import java.util.List;

/** The {@link ObjectiveContext} the runner hands an objective provider. */
record RunnerObjectiveContext(CausalLM policy, List<Dataset> trainData, int maxLength, long seed, NDManager manager)
        implements ObjectiveContext {}
