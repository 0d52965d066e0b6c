package io.finetune4j.alignment.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Token-level KL divergence between the policy's and the base's next-token distributions at the trained
 * positions, the self-distillation regulariser against forgetting (knowledge distillation from the original
 * model, Hinton et al. 2015, with temperature 1; the reverse direction is the per-token KL penalty of RLHF,
 * Ouyang et al. 2022). The positions are taken {@link #CHUNK_POSITIONS} at a time, so the full-vocabulary
 * log-softmaxes exist one chunk at a time.
 */
final class KlToBase {
    /** Trained positions per chunk. */
    static final int CHUNK_POSITIONS = 2048;

    private KlToBase() {}

    /**
     * The mean over the positions where {@code mask} is 1 of KL(base ‖ policy) ({@code reverse} false) or
     * KL(policy ‖ base) ({@code reverse} true). A scalar in {@code policyLogits}' manager, recorded for autograd
     * through the policy's logits only; 0 when no position is trained.
     *
     * @param policyLogits {@code [batch, positions, vocab]}
     * @param baseLogits {@code [batch, positions, vocab]}, computed without gradient
     * @param mask {@code [batch, positions]} float32, 1 at the trained positions
     */
    static NDArray mean(NDArray policyLogits, NDArray baseLogits, NDArray mask, boolean reverse, int chunkPositions) {
        NDManager step = policyLogits.getManager();
        long vocab = policyLogits.getShape().get(policyLogits.getShape().dimension() - 1);
        NDArray policyFlat = policyLogits.reshape(-1, vocab);          // [n, vocab]
        NDArray baseFlat = baseLogits.stopGradient().reshape(-1, vocab); // [n, vocab]
        float[] trained = mask.toType(DataType.FLOAT32, false).toFloatArray();
        List<Long> positions = new ArrayList<>();
        for (int i = 0; i < trained.length; i++) {
            if (trained[i] != 0f) {
                positions.add((long) i);
            }
        }
        if (positions.isEmpty()) {
            return step.zeros(new Shape());
        }
        NDArray total = null;
        for (int start = 0; start < positions.size(); start += chunkPositions) {
            List<Long> slice = positions.subList(start, Math.min(positions.size(), start + chunkPositions));
            NDArray rows = step.create(slice.stream().mapToLong(Long::longValue).toArray());        // [c]
            NDArray policyLogP = policyFlat.get(rows).logSoftmax(-1);                            // [c, vocab]
            NDArray baseLogP = baseFlat.get(rows).logSoftmax(-1);                                // [c, vocab]
            NDArray sum = reverse
                    ? policyLogP.exp().mul(policyLogP.sub(baseLogP)).sum()
                    : baseLogP.exp().mul(baseLogP.sub(policyLogP)).sum();
            total = total == null ? sum : total.add(sum);
        }
        // An array divisor, not div(Number): autograd keeps the scalar (STACK.md, "a correctness trap").
        return total.div(step.full(new Shape(), (float) positions.size()));
    }
}
