package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.finetune4j.api.model.TargetScores;
import io.finetune4j.runtime.train.NoGradient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Target log-probabilities through the LM head without the whole {@code [tokens, vocab]} logits matrix,
 * the fused linear + cross-entropy of Liger-Kernel and Unsloth: the vocabulary is projected a chunk of
 * tokens at a time and each chunk's logits are freed before the next.
 *
 * <p>The backward needs no logits either while the head is frozen (LoRA and the other adapters leave it
 * so). For one token with hidden state {@code h}, head {@code W} {@code [vocab, hidden]} and target
 * {@code y}, {@code ∂ log softmax(Wh)_y / ∂h = W_y − Σ_v p_v W_v = W_y − pᵀW}: a {@code [hidden]} vector,
 * computed in the chunk while {@code p} exists. The result is then {@code lp + Σ (h − detach(h))·J}, whose
 * value is exactly {@code lp} (the difference is 0) and whose gradient with respect to {@code h} is
 * {@code J}, so autograd carries it into the body with no custom backward. It costs the same matmuls as
 * the plain forward and backward (the weight gradient, not needed, is skipped). A trainable head (full
 * fine-tuning, an adapter or {@code modules_to_save} on {@code lm_head}) takes the plain path while
 * gradients are recorded.
 */
final class ChunkedHead {
    /** Logits elements per chunk: 16M floats (64 MB); the chunk also holds their log-softmax and softmax. */
    static final long CHUNK_ELEMENTS = 1L << 24;

    private ChunkedHead() {}

    /**
     * @param hidden {@code [batch, positions, hidden]} (positions = the scored ones), in the step's manager
     * @param targetIds {@code [batch, positions]} int64
     * @param logitsOf the head: {@code [n, hidden] -> [n, vocab]}
     * @param frozenWeight the head's weight as {@code [vocab, hidden]} when it is frozen, else null
     * @param vocab the head's output size
     * @param hiddenStates returned as the result's hidden states
     * @param chunkElements logits elements per chunk ({@link #CHUNK_ELEMENTS}; smaller in tests)
     */
    static TargetScores score(NDArray hidden, NDArray targetIds, UnaryOperator<NDArray> logitsOf,
                              NDArray frozenWeight, int vocab, NDArray hiddenStates, long chunkElements) {
        NDManager step = hidden.getManager();
        Shape scored = targetIds.getShape();                             // [batch, positions]
        long width = hidden.getShape().get(2);
        NDArray flat = hidden.reshape(-1, width);                         // [n, hidden]
        NDArray targets = targetIds.reshape(-1);                          // [n]
        long n = targets.size();
        // Recording, not hasGradient(): DJL's requires-grad probe misses arrays that do need a gradient.
        boolean gradient = JniUtils.isGradMode();
        long rows = Math.max(1, Math.min(n, chunkElements / vocab));
        List<NDArray> logProbs = new ArrayList<>();
        List<NDArray> hits = new ArrayList<>();
        List<NDArray> jacobians = new ArrayList<>();
        NoGradient.run(() -> {
            for (long start = 0; start < n; start += rows) {
                long end = Math.min(n, start + rows);
                try (NDManager chunk = step.newSubManager()) {
                    NDIndex range = new NDIndex("{}:{}", start, end);
                    NDArray h = flat.get(range);                                 // [c, hidden]
                    NDArray t = targets.get(range);                              // [c]
                    h.attach(chunk);
                    t.attach(chunk);
                    NDArray logits = logitsOf.apply(h);                          // [c, vocab]
                    logits.attach(chunk);
                    NDArray logP = logits.logSoftmax(-1);                        // [c, vocab]
                    NDArray picked = logP.gather(t.expandDims(-1), -1).squeeze(-1); // [c]
                    NDArray hit = logits.argMax(-1).eq(t).toType(DataType.FLOAT32, false);
                    picked.attach(step);
                    hit.attach(step);
                    logProbs.add(picked);
                    hits.add(hit);
                    if (gradient) {
                        NDArray rowsOfTarget = frozenWeight.get(t);              // [c, hidden]
                        rowsOfTarget.attach(chunk);
                        NDArray expected = logP.exp().matMul(frozenWeight);      // [c, hidden]: pᵀW
                        NDArray jacobian = rowsOfTarget.sub(expected);
                        jacobian.attach(step);
                        jacobians.add(jacobian);
                    }
                }
            }
        });
        NDArray logProb = concat(logProbs);                                   // [n]
        NDArray hit = concat(hits).reshape(scored);
        if (gradient) {
            NDArray jacobian = concat(jacobians);                             // [n, hidden]
            NDArray zero = flat.sub(flat.stopGradient());                     // exactly 0, gradient 1
            logProb = logProb.add(zero.mul(jacobian).sum(new int[] {-1}));
        }
        return new TargetScores(logProb.reshape(scored), hit, hiddenStates);
    }

    private static NDArray concat(List<NDArray> parts) {
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }
}
