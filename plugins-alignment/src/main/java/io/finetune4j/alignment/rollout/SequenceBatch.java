package io.finetune4j.alignment.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prompt + response sequences of a rollout as one right-padded batch. Per-token quantities live in the
 * shifted layout of {@link CausalLmBatch}, {@code [batch, seq - 1]}, where position {@code t} holds the
 * log-prob (or value, advantage, ...) of token {@code t + 1}: response token {@code j} of row {@code b} sits
 * at {@code promptLength_b − 1 + j}. The mask is 1 exactly on response tokens (EOS included when emitted):
 * prompt tokens and padding never contribute to a loss or a metric.
 */
public final class SequenceBatch {
    private final CausalLmBatch batch;
    private final int[] offsets;
    private final int[] responseLengths;
    private final int positions;
    private final NDManager manager;

    private SequenceBatch(CausalLmBatch batch, int[] offsets, int[] responseLengths, NDManager manager) {
        this.batch = batch;
        this.offsets = offsets;
        this.responseLengths = responseLengths;
        this.positions = (int) batch.sequenceLength() - 1;
        this.manager = manager;
    }

    /** Builds the batch in {@code manager}; every response must have at least one token. */
    public static SequenceBatch of(List<long[]> prompts, List<long[]> responses, long padId, NDManager manager) {
        List<TokenizedExample> rows = new ArrayList<>(prompts.size());
        int[] offsets = new int[prompts.size()];
        int[] lengths = new int[prompts.size()];
        for (int b = 0; b < prompts.size(); b++) {
            long[] prompt = prompts.get(b);
            long[] response = responses.get(b);
            if (response.length == 0) {
                throw new IllegalArgumentException("response " + b + " is empty");
            }
            long[] ids = Arrays.copyOf(prompt, prompt.length + response.length);
            System.arraycopy(response, 0, ids, prompt.length, response.length);
            boolean[] targets = new boolean[ids.length];
            Arrays.fill(targets, prompt.length, ids.length, true);
            rows.add(new TokenizedExample(ids, targets, null));
            offsets[b] = prompt.length - 1;
            lengths[b] = response.length;
        }
        return new SequenceBatch(CausalLmCollator.collate(rows, padId, manager), offsets, lengths, manager);
    }

    public NDArray inputIds() {
        return batch.inputIds();
    }

    public NDArray attentionMask() {
        return batch.attentionMask();
    }

    /** {@code [batch, seq - 1]} int64: the token each position predicts. */
    public NDArray targetIds() {
        return batch.targetIds();
    }

    /** {@code [batch, seq - 1]} float32: 1 on response tokens. */
    public NDArray mask() {
        return batch.targetMask();
    }

    public int size() {
        return offsets.length;
    }

    /** Real (unpadded) tokens, for throughput. */
    public long tokens() {
        return batch.tokenCount();
    }

    /** Per-response values placed at their tokens' positions, zero elsewhere: {@code [batch, seq - 1]} float32. */
    public NDArray scatter(List<double[]> rows) {
        float[] flat = new float[offsets.length * positions];
        for (int b = 0; b < offsets.length; b++) {
            double[] row = rows.get(b);
            for (int j = 0; j < responseLengths[b]; j++) {
                flat[b * positions + offsets[b] + j] = (float) row[j];
            }
        }
        return manager.create(flat, new Shape(offsets.length, positions));
    }

    /** The response tokens' entries of a {@code [batch, seq - 1]} array, one {@code double[]} per response. */
    public List<double[]> gather(NDArray values) {
        float[] flat = values.toFloatArray();
        List<double[]> rows = new ArrayList<>(offsets.length);
        for (int b = 0; b < offsets.length; b++) {
            double[] row = new double[responseLengths[b]];
            for (int j = 0; j < row.length; j++) {
                row[j] = flat[b * positions + offsets[b] + j];
            }
            rows.add(row);
        }
        return rows;
    }
}
