package io.finetune4j.runtime.train;

import io.finetune4j.api.ConfigProblems;
import java.util.List;

/**
 * Settings of the training loop; pipeline files write the keys in snake_case ({@code learning_rate},
 * {@code gradient_accumulation_steps}). Defaults follow Hugging Face {@code TrainingArguments} where it
 * has the setting, except the learning rate (2e-4, the usual LoRA value) and the epoch count (1).
 *
 * <p>Number of optimizer steps: {@code maxSteps} when it is positive, otherwise
 * {@code epochs × ceil(exampleCount / (batchSize × gradientAccumulationSteps))}. An epoch's last step may
 * see fewer examples (and fewer micro-batches) than the others: the last partial batch is kept, never
 * dropped. With {@code maxSteps} set, the data is walked epoch after epoch (each reshuffled) until that
 * many steps are done, and {@code epochs} is ignored, as in Hugging Face's {@code max_steps}.
 *
 * @param epochs passes over the data; ignored when {@code maxSteps > 0}
 * @param maxSteps total optimizer steps, or -1 to let {@code epochs} decide
 * @param batchSize examples per micro-batch (one forward/backward)
 * @param gradientAccumulationSteps micro-batches per optimizer step
 * @param learningRate peak learning rate, reached after warm-up
 * @param weightDecay decoupled weight decay of AdamW; biases and norm weights are never decayed
 * @param adamBeta1 AdamW's first-moment decay
 * @param adamBeta2 AdamW's second-moment decay
 * @param adamEpsilon AdamW's epsilon, added to the bias-corrected root of the second moment
 * @param warmupSteps optimizer steps of linear warm-up from 0 to {@code learningRate}
 * @param lrSchedule {@code linear}, {@code cosine} or {@code constant} (each after warm-up), as in
 *     {@link LearningRateSchedule}
 * @param maxGradNorm clip the global gradient L2 norm to this value; {@code <= 0} turns clipping off
 * @param loggingSteps log every this many optimizer steps (and always the last)
 * @param seed seeds the example order (per epoch) and the engine's random numbers (dropout)
 * @param saveSteps write a resumable training checkpoint every this many optimizer steps; 0 = never
 *     ({@link TrainingCheckpoints})
 * @param saveTotalLimit keep at most this many checkpoints, deleting the oldest; 0 = keep all
 * @param gradientCheckpointing keep only each decoder layer's input in the forward and recompute the
 *     layer in the backward ({@link BackwardTape}): activation memory of one layer instead of all, for
 *     about one more forward of compute
 * @param divergence the guards against a diverging loss ({@link DivergenceConfig})
 * @param ewc the EWC penalty against forgetting ({@link EwcConfig}); off by default
 */
public record TrainingConfig(
        int epochs,
        int maxSteps,
        int batchSize,
        int gradientAccumulationSteps,
        double learningRate,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        int warmupSteps,
        String lrSchedule,
        double maxGradNorm,
        int loggingSteps,
        long seed,
        int saveSteps,
        int saveTotalLimit,
        boolean gradientCheckpointing,
        DivergenceConfig divergence,
        EwcConfig ewc) {

    /** Settings without EWC. */
    public TrainingConfig(int epochs, int maxSteps, int batchSize, int gradientAccumulationSteps, double learningRate,
                          double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, int warmupSteps,
                          String lrSchedule, double maxGradNorm, int loggingSteps, long seed, int saveSteps,
                          int saveTotalLimit, boolean gradientCheckpointing, DivergenceConfig divergence) {
        this(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay, adamBeta1, adamBeta2,
                adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, saveSteps, saveTotalLimit,
                gradientCheckpointing, divergence, EwcConfig.defaults());
    }

    /** Settings with the default divergence guards. */
    public TrainingConfig(int epochs, int maxSteps, int batchSize, int gradientAccumulationSteps, double learningRate,
                          double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, int warmupSteps,
                          String lrSchedule, double maxGradNorm, int loggingSteps, long seed, int saveSteps,
                          int saveTotalLimit, boolean gradientCheckpointing) {
        this(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay, adamBeta1, adamBeta2,
                adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, saveSteps, saveTotalLimit,
                gradientCheckpointing, DivergenceConfig.defaults());
    }

    /** Settings without gradient checkpointing. */
    public TrainingConfig(int epochs, int maxSteps, int batchSize, int gradientAccumulationSteps, double learningRate,
                          double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, int warmupSteps,
                          String lrSchedule, double maxGradNorm, int loggingSteps, long seed, int saveSteps,
                          int saveTotalLimit) {
        this(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay, adamBeta1, adamBeta2,
                adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, saveSteps, saveTotalLimit, false);
    }

    /** Settings without training checkpoints. */
    public TrainingConfig(int epochs, int maxSteps, int batchSize, int gradientAccumulationSteps, double learningRate,
                          double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, int warmupSteps,
                          String lrSchedule, double maxGradNorm, int loggingSteps, long seed) {
        this(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay, adamBeta1, adamBeta2,
                adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, 0, 2);
    }

    /** The learning-rate schedules {@link #lrSchedule()} accepts. */
    public static final List<String> SCHEDULES = List.of("cosine", "linear", "constant");

    public static TrainingConfig defaults() {
        return new TrainingConfig(1, -1, 8, 1, 2e-4, 0.0, 0.9, 0.999, 1e-8, 0, "linear", 1.0, 10, 42);
    }

    /** Reports every invalid field under its snake_case key. */
    public void validate(ConfigProblems problems) {
        problems.check(epochs >= 1, "epochs", "must be >= 1, was %d", epochs);
        problems.check(maxSteps == -1 || maxSteps >= 1, "max_steps",
                "must be -1 (epochs decide) or >= 1, was %d", maxSteps);
        problems.check(batchSize >= 1, "batch_size", "must be >= 1, was %d", batchSize);
        problems.check(gradientAccumulationSteps >= 1, "gradient_accumulation_steps",
                "must be >= 1, was %d", gradientAccumulationSteps);
        problems.check(learningRate > 0 && Double.isFinite(learningRate), "learning_rate",
                "must be > 0, was %s", learningRate);
        problems.check(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay",
                "must be >= 0, was %s", weightDecay);
        problems.check(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1", "must be in [0, 1), was %s", adamBeta1);
        problems.check(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2", "must be in [0, 1), was %s", adamBeta2);
        problems.check(adamEpsilon >= 0 && Double.isFinite(adamEpsilon), "adam_epsilon",
                "must be >= 0, was %s", adamEpsilon);
        problems.check(warmupSteps >= 0, "warmup_steps", "must be >= 0, was %d", warmupSteps);
        problems.check(lrSchedule != null && SCHEDULES.contains(lrSchedule), "lr_schedule",
                "must be one of %s, was %s", String.join("|", SCHEDULES),
                lrSchedule == null ? "null" : "'" + lrSchedule + "'");
        problems.check(!Double.isNaN(maxGradNorm) && maxGradNorm != Double.POSITIVE_INFINITY, "max_grad_norm",
                "must be a finite number (<= 0 turns clipping off), was %s", maxGradNorm);
        problems.check(loggingSteps >= 1, "logging_steps", "must be >= 1, was %d", loggingSteps);
        problems.check(saveSteps >= 0, "save_steps", "must be >= 0 (0 = no checkpoints), was %d", saveSteps);
        problems.check(saveTotalLimit >= 0, "save_total_limit", "must be >= 0 (0 = keep all), was %d", saveTotalLimit);
        if (divergence == null) {
            problems.add("divergence", "missing");
        } else {
            divergence.validate(problems.child("divergence"));
        }
        if (ewc == null) {
            problems.add("ewc", "missing");
        } else {
            ewc.validate(problems.child("ewc"));
        }
    }

    /** These settings with {@code divergence} instead. */
    public TrainingConfig withDivergence(DivergenceConfig divergence) {
        return new TrainingConfig(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay,
                adamBeta1, adamBeta2, adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, saveSteps,
                saveTotalLimit, gradientCheckpointing, divergence, ewc);
    }

    /** These settings with {@code ewc} instead. */
    public TrainingConfig withEwc(EwcConfig ewc) {
        return new TrainingConfig(epochs, maxSteps, batchSize, gradientAccumulationSteps, learningRate, weightDecay,
                adamBeta1, adamBeta2, adamEpsilon, warmupSteps, lrSchedule, maxGradNorm, loggingSteps, seed, saveSteps,
                saveTotalLimit, gradientCheckpointing, divergence, ewc);
    }

    /** Examples one optimizer step consumes when the epoch has enough left. */
    public long examplesPerStep() {
        return (long) batchSize * gradientAccumulationSteps;
    }

    /** {@code ceil(exampleCount / (batchSize × gradientAccumulationSteps))}: the last partial step is kept. */
    public int stepsPerEpoch(int exampleCount) {
        if (exampleCount <= 0) {
            throw new IllegalArgumentException("exampleCount must be > 0, was " + exampleCount);
        }
        return (int) ((exampleCount + examplesPerStep() - 1) / examplesPerStep());
    }

    /** {@code maxSteps} if positive, else {@code epochs × stepsPerEpoch(exampleCount)}. */
    public int totalOptimizerSteps(int exampleCount) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        long total = (long) epochs * stepsPerEpoch(exampleCount);
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many optimizer steps: " + total);
        }
        return (int) total;
    }
}
