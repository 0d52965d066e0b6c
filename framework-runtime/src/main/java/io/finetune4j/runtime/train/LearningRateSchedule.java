package io.finetune4j.runtime.train;

/**
 * A learning-rate multiplier per optimizer step, as the {@code lr_lambda} functions of Hugging Face
 * transformers' {@code optimization.py} ({@code get_linear_schedule_with_warmup},
 * {@code get_cosine_schedule_with_warmup} with {@code num_cycles = 0.5},
 * {@code get_constant_schedule_with_warmup}).
 *
 * <p>As with {@code LambdaLR}, optimizer step {@code s} (counted from 1) uses the multiplier at
 * {@code currentStep = s - 1}: with warm-up, the first step runs at learning rate 0.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** The multiplier of the peak learning rate at {@code currentStep} (0 for the first optimizer step). */
    double multiplier(int currentStep);

    /** Learning rate of optimizer step {@code step} (counted from 1). */
    default double learningRate(double peak, int step) {
        return peak * multiplier(step - 1);
    }

    /** By name: {@code linear}, {@code cosine} or {@code constant} (see {@link TrainingConfig#SCHEDULES}). */
    static LearningRateSchedule of(String name, int warmupSteps, int trainingSteps) {
        return switch (name) {
            case "linear" -> linear(warmupSteps, trainingSteps);
            case "cosine" -> cosine(warmupSteps, trainingSteps);
            case "constant" -> constant(warmupSteps);
            default -> throw new IllegalArgumentException(
                    "unknown learning-rate schedule '" + name + "'; known: " + TrainingConfig.SCHEDULES);
        };
    }

    /** Linear warm-up from 0, then linear decay to 0 at {@code trainingSteps}. */
    static LearningRateSchedule linear(int warmupSteps, int trainingSteps) {
        return step -> {
            if (step < warmupSteps) {
                return warmup(step, warmupSteps);
            }
            return Math.max(0.0, (double) (trainingSteps - step) / Math.max(1, trainingSteps - warmupSteps));
        };
    }

    /** Linear warm-up from 0, then half a cosine wave down to 0 at {@code trainingSteps}. */
    static LearningRateSchedule cosine(int warmupSteps, int trainingSteps) {
        double cycles = 0.5;
        return step -> {
            if (step < warmupSteps) {
                return warmup(step, warmupSteps);
            }
            double progress = (double) (step - warmupSteps) / Math.max(1, trainingSteps - warmupSteps);
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress)));
        };
    }

    /** Linear warm-up from 0, then constant; {@code warmupSteps = 0} is Hugging Face's plain {@code constant}. */
    static LearningRateSchedule constant(int warmupSteps) {
        return step -> step < warmupSteps ? warmup(step, warmupSteps) : 1.0;
    }

    private static double warmup(int step, int warmupSteps) {
        return (double) step / Math.max(1, warmupSteps);
    }
}
