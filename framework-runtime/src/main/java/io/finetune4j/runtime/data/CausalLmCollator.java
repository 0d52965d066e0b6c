package io.finetune4j.runtime.data;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.Stable;
import java.util.List;

/**
 * Pads tokenized examples on the right into one {@link CausalLmBatch}. Shared by every objective and
 * evaluator that scores tokens of causal-LM sequences (SFT, perplexity, preference objectives).
 */
@Stable
public final class CausalLmCollator {
    private CausalLmCollator() {}

    /**
     * Builds the batch in {@code manager} (the step's or the evaluation batch's scope).
     *
     * @param padId id written into padding positions; they are masked out everywhere, so any valid id works
     */
    public static CausalLmBatch collate(List<TokenizedExample> examples, long padId, NDManager manager) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to collate");
        }
        int batch = examples.size();
        int seq = 0;
        for (TokenizedExample example : examples) {
            seq = Math.max(seq, example.length());
        }
        if (seq < 2) {
            // a causal LM needs a context token and a predicted token
            throw new IllegalArgumentException("every example has fewer than 2 tokens");
        }
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] targetIds = new long[batch * (seq - 1)];
        float[] targetMask = new float[batch * (seq - 1)];
        int[] lengths = new int[batch];
        long tokens = 0;
        long targetTokens = 0;
        for (int b = 0; b < batch; b++) {
            TokenizedExample example = examples.get(b);
            long[] row = example.ids();
            boolean[] targets = example.targets();
            lengths[b] = row.length;
            tokens += row.length;
            for (int t = 0; t < seq; t++) {
                boolean real = t < row.length;
                ids[b * seq + t] = real ? row[t] : padId;
                mask[b * seq + t] = real ? 1 : 0;
                if (t >= 1) {
                    // the logits at position t - 1 predict token t
                    int shifted = b * (seq - 1) + t - 1;
                    targetIds[shifted] = real ? row[t] : 0;
                    boolean target = real && targets[t];
                    targetMask[shifted] = target ? 1f : 0f;
                    targetTokens += target ? 1 : 0;
                }
            }
        }
        return new CausalLmBatch(
                manager.create(ids, new Shape(batch, seq)),
                manager.create(mask, new Shape(batch, seq)),
                manager.create(targetIds, new Shape(batch, seq - 1)),
                manager.create(targetMask, new Shape(batch, seq - 1)),
                lengths, tokens, targetTokens);
    }
}
