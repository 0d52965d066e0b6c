package io.finetune4j.alignment.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.List;

/**
 * A right-padded batch of packed rows: {@link CausalLmBatch} plus the segment ids the model uses to keep
 * attention inside each packed example and to restart its positions (TRL's {@code position_ids} from
 * {@code seq_lengths}). A token is a target only when it and the token before it are in the same segment, so
 * no example is asked to predict the next one's first token (TRL sets labels at position 0 to -100).
 *
 * @param segmentIds {@code [batch, seq]} int64: 1, 2, ... for the parts of a row, 0 for padding
 */
record PackedBatch(CausalLmBatch batch, NDArray segmentIds) {

    static PackedBatch collate(List<PackedSequence> rows, long padId, NDManager manager) {
        int batch = rows.size();
        int seq = rows.stream().mapToInt(PackedSequence::length).max().orElse(0);
        if (seq < 2) {
            throw new IllegalArgumentException("every packed row has fewer than 2 tokens");
        }
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] segments = new long[batch * seq];
        long[] targetIds = new long[batch * (seq - 1)];
        float[] targetMask = new float[batch * (seq - 1)];
        int[] lengths = new int[batch];
        long tokens = 0;
        long targetTokens = 0;
        for (int b = 0; b < batch; b++) {
            int t = 0;
            int segment = 0;
            for (TokenizedExample part : rows.get(b).parts()) {
                segment++;
                long[] partIds = part.ids();
                boolean[] partTargets = part.targets();
                for (int i = 0; i < partIds.length; i++, t++) {
                    ids[b * seq + t] = partIds[i];
                    mask[b * seq + t] = 1;
                    segments[b * seq + t] = segment;
                    if (t >= 1) {
                        // the logits at t - 1 predict token t; only within the part (i >= 1)
                        targetIds[b * (seq - 1) + t - 1] = partIds[i];
                        boolean target = i >= 1 && partTargets[i];
                        targetMask[b * (seq - 1) + t - 1] = target ? 1f : 0f;
                        targetTokens += target ? 1 : 0;
                    }
                }
            }
            lengths[b] = t;
            tokens += t;
            for (; t < seq; t++) {
                ids[b * seq + t] = padId;
            }
        }
        CausalLmBatch causal = new CausalLmBatch(
                manager.create(ids, new Shape(batch, seq)),
                manager.create(mask, new Shape(batch, seq)),
                manager.create(targetIds, new Shape(batch, seq - 1)),
                manager.create(targetMask, new Shape(batch, seq - 1)),
                lengths, tokens, targetTokens);
        return new PackedBatch(causal, manager.create(segments, new Shape(batch, seq)));
    }
}
