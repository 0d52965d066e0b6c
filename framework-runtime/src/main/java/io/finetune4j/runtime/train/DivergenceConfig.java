package io.finetune4j.runtime.train;

import io.finetune4j.api.ConfigProblems;

/**
 * {@code training.divergence}: when a stage stops because training has diverged, beyond the NaN/inf loss or
 * gradient that always stops it. A run whose learning rate is far too high rarely produces NaN: the model
 * collapses (every token equally likely, loss = ln(vocabulary)) and the gradient vanishes, and the run would go
 * on for thousands of steps writing checkpoints of a dead model.
 *
 * @param enabled {@code false} turns both rules off (the NaN/inf check stays)
 * @param lossFactor the loss rule: a loss at or above {@code lossFactor × the first step's loss} ...
 * @param lossPatience ... for this many consecutive steps stops the stage; the rule applies only when the first
 *     step's loss is above 0.1 (RL surrogate losses start near 0 and move freely around it)
 * @param zeroGradSteps a gradient norm of exactly 0 for this many consecutive steps stops the stage
 * @param spikeFactor a step's loss above {@code spikeFactor ×} the running mean of the previous steps' losses is
 *     reported as a spike (a warning; training goes on); 0 turns the warning off
 */
public record DivergenceConfig(boolean enabled, double lossFactor, int lossPatience, int zeroGradSteps,
                               double spikeFactor) {
    /** Loss ≥ 2× the first step's for 50 steps, or a zero gradient for 20 steps; spikes above 3× the mean. */
    public static DivergenceConfig defaults() {
        return new DivergenceConfig(true, 2.0, 50, 20, 3.0);
    }

    /** Reports every invalid field under its snake_case key. */
    public void validate(ConfigProblems problems) {
        problems.check(lossFactor > 1 && Double.isFinite(lossFactor), "loss_factor", "must be > 1, was %s", lossFactor);
        problems.check(lossPatience >= 1, "loss_patience", "must be >= 1, was %d", lossPatience);
        problems.check(zeroGradSteps >= 1, "zero_grad_steps", "must be >= 1, was %d", zeroGradSteps);
        problems.check(spikeFactor == 0 || (spikeFactor > 1 && Double.isFinite(spikeFactor)), "spike_factor",
                "must be 0 (off) or > 1, was %s", spikeFactor);
    }
}
