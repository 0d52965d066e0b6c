package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.ForwardInput;
import java.util.Arrays;

/**
 * The lengths, positions and additive attention mask of one forward, derived once from a
 * {@link ForwardInput}: padding, causality and packed segments become one mask, as in Hugging Face's
 * {@code _prepare_4d_causal_attention_mask} (float32 min, never -inf).
 */
public final class ForwardPlan {
    public final int batch;
    /** Token positions in this forward ({@code inputIds} columns). */
    public final int tokens;
    /** Prepended virtual tokens ({@code prefixEmbeddings}). */
    public final int prefix;
    /** {@code prefix + tokens}: the rows the layers process. */
    public final int length;
    public final long past;
    /** {@code past + length}: the keys every query may see. */
    public final long total;
    /** {@code [positionRows, length]} int64, owned by the step. */
    public final NDArray positions;
    public final long maxPosition;
    /** Additive, {@code [batch or 1, 1, length, total]}, owned by the step; null when nothing is masked. */
    public final NDArray mask;

    private ForwardPlan(int batch, int tokens, int prefix, long past, NDArray positions, long maxPosition, NDArray mask) {
        this.batch = batch;
        this.tokens = tokens;
        this.prefix = prefix;
        this.length = prefix + tokens;
        this.past = past;
        this.total = past + length;
        this.positions = positions;
        this.maxPosition = maxPosition;
        this.mask = mask;
    }

    /**
     * @param window sliding-window attention: key j is visible to the query at cache index i only when
     *     {@code i − window < j ≤ i}, as transformers' sliding-window causal mask (Mistral)
     */
    static ForwardPlan of(ForwardInput input, long past, Scalars scalars, java.util.OptionalInt window) {
        NDArray ids = input.inputIds();
        NDManager step = ids.getManager();
        Shape idShape = ids.getShape();
        if (idShape.dimension() != 2) {
            throw new IllegalArgumentException("inputIds must be [batch, seq], was " + idShape);
        }
        int batch = Math.toIntExact(idShape.get(0));
        int tokens = Math.toIntExact(idShape.get(1));
        int prefix = 0;
        if (input.prefixEmbeddings() != null) {
            Shape prefixShape = input.prefixEmbeddings().getShape();
            if (prefixShape.dimension() != 3 || prefixShape.get(0) != batch) {
                throw new IllegalArgumentException("prefixEmbeddings must be [" + batch + ", virtual, hidden], was " + prefixShape);
            }
            prefix = Math.toIntExact(prefixShape.get(1));
        }
        int length = prefix + tokens;
        int total = Math.toIntExact(past + length);

        long[] keep = keyMask(input.attentionMask(), batch, tokens, prefix, past);
        long[] segments = null;
        if (input.segmentIds() != null) {
            if (past != 0 || prefix != 0) {
                throw new IllegalArgumentException("segmentIds cannot be combined with a cache or prefixEmbeddings");
            }
            segments = readLongs(input.segmentIds(), batch, tokens, "segmentIds");
        }

        long[] positions;
        int rows = batch;
        if (input.positionIds() != null) {
            positions = givenPositions(input.positionIds(), batch, tokens, prefix, past);
        } else if (segments != null) {
            positions = segmentPositions(segments, batch, tokens);
        } else if (keep != null) {
            positions = maskPositions(keep, batch, length, total);
        } else {
            rows = 1; // past .. past+length-1, shared by every row
            positions = new long[length];
            for (int i = 0; i < length; i++) {
                positions[i] = past + i;
            }
        }
        long maxPosition = Arrays.stream(positions).max().orElse(0);
        NDArray positionArray = step.create(positions, new Shape(rows, length));

        NDArray mask;
        int limit = window.isPresent() && window.getAsInt() < total ? window.getAsInt() : 0;
        if (keep == null && segments == null && limit == 0) {
            // A single query may see every earlier key: no mask at all (generation's decode steps).
            mask = length == 1 ? null : CausalMasks.causal(past, length, step, scalars);
        } else if (keep == null && segments == null) {
            mask = step.create(fullMask(null, null, 1, length, total, past, limit), new Shape(1, 1, length, total));
        } else {
            mask = step.create(fullMask(keep, segments, batch, length, total, past, limit),
                    new Shape(batch, 1, length, total));
        }
        return new ForwardPlan(batch, tokens, prefix, past, positionArray, maxPosition, mask);
    }

    /** 1/0 per key over {@code [batch, total]} (prefix columns inserted as ones), or null when all are real. */
    private static long[] keyMask(NDArray attentionMask, int batch, int tokens, int prefix, long past) {
        if (attentionMask == null) {
            return null;
        }
        Shape shape = attentionMask.getShape();
        long width = shape.dimension() == 2 ? shape.get(1) : -1;
        int total = Math.toIntExact(past + prefix + tokens);
        if (shape.dimension() != 2 || shape.get(0) != batch || (width != past + tokens && width != total)) {
            throw new IllegalArgumentException("attentionMask must be [" + batch + ", " + (past + tokens) + "] (past + seq), was " + shape);
        }
        long[] given = readLongs(attentionMask, batch, (int) width, "attentionMask");
        boolean allReal = Arrays.stream(given).allMatch(value -> value != 0);
        if (allReal) {
            return null;
        }
        if (width == total) {
            return given;
        }
        // PEFT's prompt tuning: the virtual tokens are always attended, inserted after the cache.
        long[] keep = new long[batch * total];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < total; j++) {
                long column = j - past;
                if (j < past) {
                    keep[b * total + j] = given[(int) (b * width + j)];
                } else if (column < prefix) {
                    keep[b * total + j] = 1;
                } else {
                    keep[b * total + j] = given[(int) (b * width + j - prefix)];
                }
            }
        }
        return keep;
    }

    /** Hugging Face generate's rule: cumsum(mask) - 1, masked positions set to 1, last {@code length} columns. */
    private static long[] maskPositions(long[] keep, int batch, int length, int total) {
        long[] positions = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            long count = 0;
            for (int j = 0; j < total; j++) {
                boolean real = keep[b * total + j] != 0;
                count += real ? 1 : 0;
                int column = j - (total - length);
                if (column >= 0) {
                    positions[b * length + column] = real ? count - 1 : 1;
                }
            }
        }
        return positions;
    }

    /** Positions restart at 0 where the segment id changes (packed examples). */
    private static long[] segmentPositions(long[] segments, int batch, int tokens) {
        long[] positions = new long[batch * tokens];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < tokens; i++) {
                int at = b * tokens + i;
                positions[at] = i > 0 && segments[at] == segments[at - 1] ? positions[at - 1] + 1 : 0;
            }
        }
        return positions;
    }

    /** Given positions cover the tokens, or the prefix and the tokens; a prefix before given token positions counts from past. */
    private static long[] givenPositions(NDArray positionIds, int batch, int tokens, int prefix, long past) {
        Shape shape = positionIds.getShape();
        int length = prefix + tokens;
        if (shape.dimension() != 2 || shape.get(0) != batch || (shape.get(1) != tokens && shape.get(1) != length)) {
            throw new IllegalArgumentException("positionIds must be [" + batch + ", " + tokens + "], was " + shape);
        }
        long[] given = readLongs(positionIds, batch, (int) shape.get(1), "positionIds");
        if (shape.get(1) == length) {
            return given;
        }
        long[] positions = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < prefix; i++) {
                positions[b * length + i] = past + i;
            }
            for (int i = 0; i < tokens; i++) {
                positions[b * length + prefix + i] = given[b * tokens + i] + prefix;
            }
        }
        return positions;
    }

    /**
     * Key j is visible to query i when it is not later, not padding, in the same segment and, with a window
     * ({@code window > 0}), among the {@code window} latest keys.
     */
    private static float[] fullMask(long[] keep, long[] segments, int batch, int length, int total, long past,
                                    int window) {
        float[] mask = new float[batch * length * total];
        Arrays.fill(mask, CausalMasks.MASKED);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < length; i++) {
                int row = (b * length + i) * total;
                long last = past + i;
                long first = window > 0 ? Math.max(0, last - window + 1) : 0;
                for (int j = (int) first; j <= last; j++) {
                    boolean visible = keep == null || keep[b * total + j] != 0;
                    if (visible && segments != null) {
                        visible = segments[b * length + j] == segments[b * length + i];
                    }
                    if (visible) {
                        mask[row + j] = 0f;
                    }
                }
            }
        }
        return mask;
    }

    private static long[] readLongs(NDArray array, int batch, int width, String what) {
        Shape shape = array.getShape();
        if (shape.dimension() != 2 || shape.get(0) != batch || shape.get(1) != width) {
            throw new IllegalArgumentException(what + " must be [" + batch + ", " + width + "], was " + shape);
        }
        if (array.getDataType() == DataType.INT64) {
            return array.toLongArray();
        }
        try (NDArray converted = array.toType(DataType.INT64, false)) {
            return converted.toLongArray();
        }
    }
}
