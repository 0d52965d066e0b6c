package io.finetune4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * AdamW as {@code torch.optim.AdamW} (Loshchilov and Hutter, "Decoupled Weight Decay Regularization",
 * Algorithm 2; defaults {@code amsgrad=False}, {@code maximize=False}). For each parameter, at step t:
 *
 * <pre>
 *   p ← p − lr·wd·p                                   decoupled weight decay
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * </pre>
 *
 * <p>The update runs in DJL's native {@code adamUpdate} of the PyTorch engine (one fused call per
 * parameter, several times faster than composing array ops). That kernel computes
 * {@code p ← p − lr'·m / (√v + eps')} with no bias correction of its own, so this class passes
 * {@code lr' = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)} and {@code eps' = eps·√(1 − β2ᵗ)}: multiplying the numerator
 * and denominator of torch's update by {@code √(1 − β2ᵗ)} gives exactly that form. Its weight decay
 * (with {@code adamw=true}) is torch's decoupled one with the undivided {@code lr}. The kernel zeroes
 * each parameter's gradient after its update.
 *
 * <p>Each parameter may have its own learning-rate factor and weight decay, as {@code torch.optim} parameter
 * groups (LoRA+): its rate is {@code lr · factor} for both the update and the decay.
 *
 * <p>State (m, v) exists only for the parameters given, in the manager given (the trainer's).
 */
public final class AdamW {
    /**
     * Hugging Face Trainer's {@code get_decay_parameter_names}: names containing one of these (lower
     * case) are not decayed. {@code ln_} covers GPT-2's LayerNorms, which HF excludes by module type.
     */
    private static final List<Pattern> NO_DECAY = List.of(
            Pattern.compile("bias"), Pattern.compile("layernorm"), Pattern.compile("rmsnorm"),
            Pattern.compile("(?:^|\\.)norm(?:$|\\.)"), Pattern.compile("_norm(?:$|\\.)"),
            Pattern.compile("(?:^|\\.)ln_[^.]*(?:$|\\.)"));

    private final List<NDArray> parameters;
    private final double[] learningRateFactors;
    private final double[] weightDecays;
    private final List<NDArray> firstMoments;
    private final List<NDArray> secondMoments;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private int stepCount;

    /**
     * @param parameters trainable arrays, updated in place
     * @param decayed per parameter, whether weight decay applies (see {@link #appliesWeightDecay})
     * @param state owns the moments; must outlive this optimizer
     */
    public AdamW(List<NDArray> parameters, boolean[] decayed, double beta1, double beta2, double epsilon,
                 double weightDecay, NDManager state) {
        this(parameters, ones(parameters.size()), decays(decayed, weightDecay, parameters.size()), beta1, beta2,
                epsilon, state);
    }

    /**
     * @param parameters trainable arrays, updated in place
     * @param learningRateFactors per parameter, its learning rate over the step's (1 for most; LoRA+ raises B's)
     * @param weightDecays per parameter, its decoupled weight decay (0 for none)
     * @param state owns the moments; must outlive this optimizer
     */
    public AdamW(List<NDArray> parameters, double[] learningRateFactors, double[] weightDecays, double beta1,
                 double beta2, double epsilon, NDManager state) {
        if (learningRateFactors.length != parameters.size() || weightDecays.length != parameters.size()) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%d learning-rate factors and %d weight decays for %d parameters", learningRateFactors.length,
                    weightDecays.length, parameters.size()));
        }
        this.parameters = List.copyOf(parameters);
        this.learningRateFactors = learningRateFactors.clone();
        this.weightDecays = weightDecays.clone();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.firstMoments = new ArrayList<>(parameters.size());
        this.secondMoments = new ArrayList<>(parameters.size());
        for (NDArray parameter : this.parameters) {
            firstMoments.add(state.zeros(parameter.getShape(), parameter.getDataType()));
            secondMoments.add(state.zeros(parameter.getShape(), parameter.getDataType()));
        }
    }

    private static double[] ones(int size) {
        double[] ones = new double[size];
        java.util.Arrays.fill(ones, 1.0);
        return ones;
    }

    private static double[] decays(boolean[] decayed, double weightDecay, int size) {
        if (decayed.length != size) {
            throw new IllegalArgumentException("decayed has " + decayed.length + " entries for " + size + " parameters");
        }
        double[] decays = new double[size];
        for (int i = 0; i < size; i++) {
            decays[i] = decayed[i] ? weightDecay : 0.0;
        }
        return decays;
    }

    /** An optimizer with the config's betas and epsilon, and each parameter's own rate factor and decay. */
    public static AdamW of(TrainingConfig config, List<NDArray> parameters, double[] learningRateFactors,
                           double[] weightDecays, NDManager state) {
        return new AdamW(parameters, learningRateFactors, weightDecays, config.adamBeta1(), config.adamBeta2(),
                config.adamEpsilon(), state);
    }

    /** An optimizer with the config's betas, epsilon and weight decay. */
    public static AdamW of(TrainingConfig config, List<NDArray> parameters, boolean[] decayed, NDManager state) {
        return new AdamW(parameters, decayed, config.adamBeta1(), config.adamBeta2(), config.adamEpsilon(),
                config.weightDecay(), state);
    }

    /** False for biases and norm weights, as Hugging Face Trainer decides which parameters decay. */
    public static boolean appliesWeightDecay(String parameterName) {
        String name = parameterName.toLowerCase(java.util.Locale.ROOT);
        return NO_DECAY.stream().noneMatch(pattern -> pattern.matcher(name).find());
    }

    /**
     * One update of every parameter.
     *
     * @param gradients one per parameter, same order (the parameters' own gradient arrays)
     * @param learningRate this step's learning rate (after the schedule)
     * @param gradientScale multiplies every gradient first (the clipping coefficient; 1 for none)
     */
    public void step(List<NDArray> gradients, double learningRate, double gradientScale) {
        if (gradients.size() != parameters.size()) {
            throw new IllegalArgumentException(
                    gradients.size() + " gradients for " + parameters.size() + " parameters");
        }
        stepCount++;
        double biasCorrection1 = 1 - Math.pow(beta1, stepCount);
        double biasCorrection2Root = Math.sqrt(1 - Math.pow(beta2, stepCount));
        float correctedEpsilon = (float) (epsilon * biasCorrection2Root);
        for (int i = 0; i < parameters.size(); i++) {
            double rate = learningRate * learningRateFactors[i];
            float correctedLearningRate = (float) (rate * biasCorrection2Root / biasCorrection1);
            NDArray parameter = parameters.get(i);
            NDArray gradient = Objects.requireNonNull(gradients.get(i), "gradient");
            // clipGrad -1 turns the kernel's element-wise clamp off; lazyUpdate is ignored by PyTorch.
            parameter.getNDArrayInternal().adamUpdate(
                    new NDList(parameter, gradient, firstMoments.get(i), secondMoments.get(i)),
                    new NDList(parameter),
                    (float) rate, correctedLearningRate, (float) weightDecays[i],
                    (float) gradientScale, -1f, (float) beta1, (float) beta2, correctedEpsilon, false, true);
        }
    }

    /** The first moments (m), one per parameter in order; live arrays, for checkpoints. */
    List<NDArray> firstMoments() {
        return List.copyOf(firstMoments);
    }

    /** The second moments (v), one per parameter in order; live arrays, for checkpoints. */
    List<NDArray> secondMoments() {
        return List.copyOf(secondMoments);
    }

    /** Continues from a checkpoint: {@code stepCount} updates done, the moments already copied in. */
    void restoreStepCount(int stepCount) {
        this.stepCount = stepCount;
    }

    /** Updates done so far (torch's {@code state['step']}). */
    public int stepCount() {
        return stepCount;
    }
}
