package io.finetune4j.alignment.grpo;

import ai.djl.ndarray.NDArray;
import io.finetune4j.alignment.ppo.PpoLoss;
import java.util.List;
import java.util.Locale;

/**
 * How GRPO reduces its per-token loss to a scalar, as TRL v1.9's {@code GRPOTrainer._compute_loss}
 * ({@code trl/trainer/grpo_trainer.py}), {@code L} the per-token loss and {@code m} the completion mask:
 * <ul>
 *   <li>{@code dapo} (TRL's default): {@code Σ L·m / N}, every token of the generation batch weighing the same.
 *       TRL's {@code N} is the completion tokens of the whole generation batch, which spans one optimizer step;
 *       here a micro-batch divides by the rollout's mean completion tokens per micro-batch, so that the mean of
 *       the step's micro-batch losses is TRL's value when {@code generation_batch_size = batch_size ×
 *       gradient_accumulation_steps};</li>
 *   <li>{@code grpo}: mean over sequences of {@code Σ_t L·m / max(Σ_t m, 1)} (each completion weighs the
 *       same, DeepSeekMath's normalisation);</li>
 *   <li>{@code bnpo}: {@code Σ L·m / max(Σ m, 1)} over the micro-batch (each token weighs the same);</li>
 *   <li>{@code dr_grpo}: {@code Σ L·m / (batch · max_completion_length)} (Dr. GRPO, no length bias).</li>
 * </ul>
 */
public enum GrpoLossType {
    DAPO,
    GRPO,
    BNPO,
    DR_GRPO;

    public static final List<String> NAMES = List.of("dapo", "grpo", "bnpo", "dr_grpo");

    public static GrpoLossType parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /**
     * @param perTokenLoss {@code [B, T]}
     * @param mask {@code [B, T]} 1 on completion tokens
     * @param tokensPerMicroBatch {@code dapo}'s denominator (see above); ignored by the others
     */
    public NDArray reduce(NDArray perTokenLoss, NDArray mask, int maxCompletionLength, double tokensPerMicroBatch) {
        NDArray masked = perTokenLoss.mul(mask);
        NDArray one = PpoLoss.scalar(masked, 1);
        return switch (this) {
            case DAPO -> masked.sum().div(PpoLoss.scalar(masked, Math.max(1.0, tokensPerMicroBatch)));
            case GRPO -> masked.sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(one)).mean();
            case BNPO -> masked.sum().div(mask.sum().maximum(one));
            case DR_GRPO -> masked.sum().div(PpoLoss.scalar(masked,
                    (double) perTokenLoss.getShape().get(0) * maxCompletionLength));
        };
    }
}
