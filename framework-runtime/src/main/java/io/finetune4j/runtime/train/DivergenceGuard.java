package io.finetune4j.runtime.train;

import io.finetune4j.api.TrainingException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Applies {@link DivergenceConfig} to each optimizer step's loss and gradient norm. While a rule's streak is
 * open the steps are {@linkplain #suspect() suspect}, and the trainer writes no checkpoint, so when the stage
 * stops the kept checkpoints are all from before the model went bad and {@code --resume} starts from a good one.
 */
final class DivergenceGuard {
    /** The loss rule needs a first loss above this: RL surrogate losses start near 0. */
    static final double MIN_INITIAL_LOSS = 0.1;
    private static final double MEAN_DECAY = 0.9;

    private final DivergenceConfig config;
    private final Consumer<String> warnings;
    private double initial = Double.NaN;
    private double mean = Double.NaN;
    private int highStreak;
    private int zeroStreak;

    DivergenceGuard(DivergenceConfig config, Consumer<String> warnings) {
        this.config = config;
        this.warnings = warnings;
    }

    /**
     * Takes step {@code step}'s loss and gradient norm (both finite).
     *
     * @throws TrainingException when a rule's streak reaches its length
     */
    void observe(int step, double loss, double gradNorm, String prefix) {
        if (!config.enabled()) {
            return;
        }
        if (Double.isNaN(initial)) {
            initial = loss;
        }
        if (config.spikeFactor() > 0 && !Double.isNaN(mean) && mean > 0 && loss > config.spikeFactor() * mean) {
            warnings.accept(String.format(Locale.ROOT, "%sloss spiked to %.4f, %.1f× the running mean %.4f", prefix,
                    loss, loss / mean, mean));
        }
        mean = Double.isNaN(mean) ? loss : MEAN_DECAY * mean + (1 - MEAN_DECAY) * loss;
        highStreak = initial > MIN_INITIAL_LOSS && loss >= config.lossFactor() * initial ? highStreak + 1 : 0;
        zeroStreak = gradNorm == 0.0 ? zeroStreak + 1 : 0;
        if (highStreak >= config.lossPatience()) {
            throw new TrainingException(String.format(Locale.ROOT, "%sdiverged: the loss has stayed at or above "
                    + "%s× the first step's loss (%.4f) for %d steps, now %.4f; lower training.learning_rate, or tune "
                    + "training.divergence (loss_factor, loss_patience; enabled: false turns it off). The checkpoints "
                    + "kept are from before the loss rose", prefix, config.lossFactor(), initial, highStreak, loss));
        }
        if (zeroStreak >= config.zeroGradSteps()) {
            throw new TrainingException(String.format(Locale.ROOT, "%sdiverged: the gradient norm has been exactly 0 "
                    + "for %d steps (loss %.4f): the model has collapsed, typically from too high a learning rate; "
                    + "lower training.learning_rate, or tune training.divergence (zero_grad_steps; enabled: false "
                    + "turns it off). The checkpoints kept are from before the gradient vanished", prefix, zeroStreak,
                    loss));
        }
    }

    /** Whether the last step is inside an open streak of either rule (no checkpoint should be written). */
    boolean suspect() {
        return highStreak > 0 || zeroStreak > 0;
    }
}
