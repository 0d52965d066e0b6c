package io.finetune4j.eval.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.train.NoGradient;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Σ log p(target tokens) of each sequence, TRL's {@code get_batch_logps} with {@code average_log_prob=False}:
 * right-padded batches, evaluation mode, no gradient, every batch's arrays freed before the next. Only
 * target positions count (completion + EOS for {@link CompletionSequences}); prompt and padding are
 * masked out. Sums are taken in double on the Java side.
 */
public final class CompletionLogProbs {
    private CompletionLogProbs() {}

    /**
     * @param afterBatch called with the number of rows of each finished batch (progress)
     * @return one sum per row; a row with fewer than two tokens has nothing predicted and sums to 0
     */
    public static double[] sums(CausalLM model, List<TokenizedExample> rows, int batchSize, IntConsumer afterBatch) {
        double[] sums = new double[rows.size()];
        for (int start = 0; start < rows.size(); start += batchSize) {
            int end = Math.min(rows.size(), start + batchSize);
            int offset = start;
            List<TokenizedExample> batch = rows.subList(start, end);
            NoGradient.run(() -> scoreBatch(model, batch, offset, sums));
            afterBatch.accept(end - start);
        }
        return sums;
    }

    private static void scoreBatch(CausalLM model, List<TokenizedExample> rows, int offset, double[] sums) {
        if (rows.stream().allMatch(row -> row.length() < 2)) {
            return;
        }
        try (NDManager scope = model.manager().newSubManager()) {
            CausalLmBatch batch = CausalLmCollator.collate(rows, model.tokenizer().padTokenId(), scope);
            ForwardInput input = ForwardInput.of(batch.inputIds())
                    .withAttentionMask(batch.attentionMask());
            NDArray logProbs = model.scoreTargets(input, batch.targetIds()).logProbs();   // [batch, seq - 1]
            float[] masked = logProbs.mul(batch.targetMask()).toFloatArray();            // [batch * (seq - 1)]
            int positions = Math.toIntExact(batch.sequenceLength() - 1);
            for (int b = 0; b < rows.size(); b++) {
                double sum = 0;
                for (int t = 0; t < positions; t++) {
                    sum += masked[b * positions + t];
                }
                sums[offset + b] = sum;
            }
        }
    }
}
