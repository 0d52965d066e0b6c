package io.finetune4j.runtime.train;

import io.finetune4j.api.ConfigProblems;

/**
 * {@code training.ewc}: elastic weight consolidation against forgetting (Kirkpatrick et al. 2017, eq. 3), the
 * penalty {@code λ/2 Σ_i F_i (θ_i − θ0_i)²} over the trainable parameters, with {@code θ0} their values when
 * training starts (the base weights for full fine-tuning, an adapter's initial values otherwise) and {@code F}
 * the diagonal empirical Fisher information estimated there ({@link Ewc}).
 *
 * @param lambda λ; 0 turns the penalty off (the default)
 * @param fisherRows training examples (a seeded sample) the Fisher is averaged over
 */
public record EwcConfig(double lambda, int fisherRows) {
    public static EwcConfig defaults() {
        return new EwcConfig(0.0, 64);
    }

    public boolean enabled() {
        return lambda > 0;
    }

    /** Reports every invalid field under its snake_case key. */
    public void validate(ConfigProblems problems) {
        problems.check(lambda >= 0 && Double.isFinite(lambda), "lambda", "must be a number >= 0, was %s", lambda);
        problems.check(fisherRows >= 1, "fisher_rows", "must be >= 1, was %d", fisherRows);
    }
}
