package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.Linear;

/**
 * A frozen linear layer whose weight is stored quantised and dequantised on the fly, like bitsandbytes'
 * {@code Linear4bit} and {@code Linear8bitLt}. It is a plain base layer ({@link #base()} is itself), so
 * LoRA can wrap it; the bias stays float32.
 */
public interface QuantizedLinear extends Linear, AutoCloseable {
    /** The dequantised weight in the layer's logical {@code [out, in]} layout, created in {@code target}. */
    NDArray dequantize(NDManager target);

    /** Bytes of native memory the quantised weight holds (codes and constants; bias and shared tables excluded). */
    long storageBytes();

    /** The scheme, for logs and reports: {@code nf4}, {@code nf4+dq}, {@code int8}. */
    String scheme();

    /**
     * Replaces the quantised storage by a float32 weight (stored layout) owned by the layer's parent
     * manager and frees the codes; afterwards {@link #weight()} returns that array itself (no copy) and
     * forward uses it. Used before merging: a merged update cannot be folded into 4-bit codes.
     */
    void materialize();

    /** True after {@link #materialize()}. */
    boolean materialized();

    /** Frees the copy the last {@link #weight()} call made, if any. */
    void releaseWeightCopy();

    /** Frees the quantised storage and any copy. */
    @Override
    void close();
}
