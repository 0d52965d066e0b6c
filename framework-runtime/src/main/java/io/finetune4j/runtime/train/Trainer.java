package io.finetune4j.runtime.train;

import static java.util.Objects.requireNonNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.ParameterGroup;
import io.finetune4j.api.objective.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop: AdamW over a method's trainable parameters, driven by an objective's loss. It knows
 * nothing about LoRA or DPO; methods and objectives take part through the SPI only.
 *
 * <p>One optimizer step, counted from 1:
 * <ol>
 *   <li>every trainable gradient is zeroed (per parameter);</li>
 *   <li>for each micro-batch of the step (see {@link TrainingConfig} for how examples are cut), inside one
 *       gradient collector: {@code objective.compute(indices, scope)} with a fresh sub-manager,
 *       plus {@code method.regularizationLoss(scope)}, divided by the number of micro-batches in the step
 *       (the accumulation count, except in an epoch's short last step), backward, then the scope is closed;</li>
 *   <li>{@code method.afterBackward};</li>
 *   <li>global L2 norm of all trainable gradients (logged as {@code grad_norm}, before clipping), clipping
 *       as {@code torch.nn.utils.clip_grad_norm_};</li>
 *   <li>{@link AdamW} at the {@link LearningRateSchedule}'s rate for this step (which also zeroes the
 *       gradients), then {@code method.afterStep}.</li>
 * </ol>
 *
 * <p>Reproducible: the example order of epoch e (from 0) is a shuffle with {@code new Random(seed + e)}
 * and the engine's random seed (dropout) is set from {@code seed} when {@code fit} starts.
 * A NaN or infinite loss or gradient norm stops training with a {@link TrainingException} naming the
 * stage and step.
 *
 * <p>Logging every {@code logging_steps} steps and at the last: {@code loss} (mean over the micro-batches
 * since the previous log), {@code grad_norm} and {@code learning_rate} of the logged step (the rate that
 * step used; Hugging Face logs the next step's), fractional {@code epoch}, {@code tokens_per_second} over
 * the window, and the objective's metrics averaged over the window's micro-batches.
 */
public final class Trainer {
    private final TrainingConfig config;
    private final ProgressListener progress;
    private final MetricsSink sink;
    private final String stageName;
    private volatile NDManager stateManager;

    /** @throws ConfigException listing every invalid field of {@code config} */
    public Trainer(TrainingConfig config, ProgressListener progress, MetricsSink sink, String stageName) {
        this.config = requireNonNull(config, "config is null");
        this.progress = requireNonNull(progress, "progress is null");
        this.sink = requireNonNull(sink, "sink is null");
        this.stageName = requireNonNull(stageName, "stageName is null");
        ConfigProblems problems = ConfigProblems.at("");
        config.validate(problems);
        problems.throwIfAny();
    }

    /**
     * Trains {@code method}'s trainable parameters on {@code objective}; returns every step's loss and
     * every logging step's values. The optimizer state lives only for this call.
     */
    public TrainingSummary fit(Method method, Objective objective) {
        return fit(method, objective, null);
    }

    /**
     * Like {@link #fit(Method, Objective)}, writing resumable checkpoints as {@code checkpoints} says and,
     * when it holds one to resume from, continuing after that checkpoint's step.
     *
     * @param checkpoints null for none
     */
    public TrainingSummary fit(Method method, Objective objective, TrainingCheckpoints checkpoints) {
        requireNonNull(method, "method is null");
        requireNonNull(objective, "objective is null");
        Map<String, NDArray> trainable = checkedTrainable(method, objective);
        int exampleCount = objective.exampleCount();
        if (exampleCount <= 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "stage '%s': the objective has no training examples", stageName));
        }
        int totalSteps = config.totalOptimizerSteps(exampleCount);
        Engine.getInstance().setRandomSeed(Long.hashCode(config.seed()));

        List<NDArray> parameters = new ArrayList<>(trainable.values());
        double[] learningRateFactors = new double[parameters.size()];
        double[] weightDecays = new double[parameters.size()];
        int i = 0;
        Map<String, NDArray> methodParameters = method.trainableParameters();
        for (String name : trainable.keySet()) {
            ParameterGroup stage = new ParameterGroup(config.learningRate(),
                    AdamW.appliesWeightDecay(name) ? config.weightDecay() : 0.0);
            ParameterGroup group = methodParameters.containsKey(name) ? method.parameterGroup(name, stage) : stage;
            learningRateFactors[i] = group.learningRate() / config.learningRate();
            weightDecays[i++] = group.weightDecay();
        }
        try (NDManager state = NDManager.newBaseManager(parameters.get(0).getDevice())) {
            stateManager = state;
            AdamW optimizer = AdamW.of(config, parameters, learningRateFactors, weightDecays, state);
            return new TrainingRun(config, stageName, progress, sink, method, objective,
                    List.copyOf(trainable.keySet()), parameters, optimizer, totalSteps, state, checkpoints).run();
        } finally {
            stateManager = null;
        }
    }

    public TrainingConfig config() {
        return config;
    }

    /** The manager of the optimizer state while {@link #fit} runs, else null; tests count its arrays. */
    NDManager stateManager() {
        return stateManager;
    }

    private Map<String, NDArray> checkedTrainable(Method method, Objective objective) {
        Map<String, NDArray> trainable = new java.util.LinkedHashMap<>(method.trainableParameters());
        objective.trainableParameters().forEach((name, array) -> {
            if (trainable.putIfAbsent(name, array) != null) {
                throw new TrainingException(String.format(Locale.ROOT,
                        "stage '%s': the objective's parameter '%s' has the name of one of the method's",
                        stageName, name));
            }
        });
        if (trainable == null || trainable.isEmpty()) {
            throw new TrainingException(String.format(Locale.ROOT,
                    "stage '%s': %s has no trainable parameters; nothing to train",
                    stageName, method.getClass().getSimpleName()));
        }
        trainable.forEach((name, array) -> {
            if (array == null || !array.hasGradient()) {
                throw new TrainingException(String.format(Locale.ROOT,
                        "stage '%s': trainable parameter '%s' of %s does not require a gradient "
                                + "(the method must call setRequiresGradient(true) on it)",
                        stageName, name, method.getClass().getSimpleName()));
            }
        });
        return trainable;
    }
}
