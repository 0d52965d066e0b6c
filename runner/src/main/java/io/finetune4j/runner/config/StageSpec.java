package io.finetune4j.runner.config;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One validated stage of a pipeline.
 *
 * @param index position in the pipeline, from 0
 * @param trainFiles resolved training files
 * @param trainData one dataset per file in the same order, or a single {@link DataMixture} when the
 *     files are weighted
 * @param maxLength longest tokenized sequence the objective and evaluators use
 * @param merge {@code output.merge}; empty means "when the method can merge"
 * @param reward the stage's {@code reward:} function (PPO, GRPO), if it names one
 * @param pipelineDir the pipeline file's directory, against which plugins' relative paths resolve
 * @param tokenizer the stage's {@code tokenizer:} directory, when the base's own tokenizer files are not used
 * @param parity with {@code output.parity: true}, the tolerance of the train-serve parity check after the merge
 *     (max |Δ logit| between the adapted model and the merged checkpoint); empty when the check is off
 */
public record StageSpec(
        int index,
        String name,
        BaseSpec base,
        PluginChoice<MethodProvider<?>> method,
        PluginChoice<ObjectiveProvider<?>> objective,
        List<Path> trainFiles,
        List<Dataset> trainData,
        TrainingConfig training,
        int maxLength,
        List<EvaluatorSpec> evaluators,
        Optional<Boolean> merge,
        Optional<PluginChoice<RewardFunctionProvider<?>>> reward,
        Path pipelineDir,
        Optional<Path> tokenizer,
        Optional<Double> parity) {

    /** A stage that uses its base checkpoint's tokenizer. */
    public StageSpec(int index, String name, BaseSpec base, PluginChoice<MethodProvider<?>> method,
            PluginChoice<ObjectiveProvider<?>> objective, List<Path> trainFiles, List<Dataset> trainData,
            TrainingConfig training, int maxLength, List<EvaluatorSpec> evaluators, Optional<Boolean> merge,
            Optional<PluginChoice<RewardFunctionProvider<?>>> reward, Path pipelineDir) {
        this(index, name, base, method, objective, trainFiles, trainData, training, maxLength, evaluators, merge, reward,
                pipelineDir, Optional.empty(), Optional.empty());
    }

    /** The largest |Δ logit| between the adapted model and its merged checkpoint {@code ft4j parity} and {@code output.parity} accept by default. */
    public static final double DEFAULT_PARITY_TOLERANCE = 1e-3;

    public StageSpec {
        trainFiles = List.copyOf(trainFiles);
        trainData = List.copyOf(trainData);
        evaluators = List.copyOf(evaluators);
    }

    /** The YAML path of this stage, {@code stages[2]}. */
    public String path() {
        return "stages[" + index + "]";
    }
}
