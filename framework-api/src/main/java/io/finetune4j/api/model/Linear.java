package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;
import java.util.Optional;

/**
 * A linear layer of a model, known by its Hugging Face module name
 * ({@code model.layers.3.self_attn.q_proj}, {@code transformer.h.0.attn.c_attn}). Methods wrap it
 * ({@code LoraLinear(base, ...)}) and put the wrapper in its place with {@link CausalLM#replaceLinear}.
 */
@Stable
public interface Linear {
    /** Module name as in the checkpoint, without the {@code .weight} suffix. */
    String name();

    int inFeatures();

    int outFeatures();

    /** {@code [..., in] -> [..., out]}. {@code training} enables dropout and similar. */
    NDArray forward(NDArray x, boolean training);

    /**
     * The weight as stored in the checkpoint: {@code [out, in]}, or {@code [in, out]} when
     * {@link #transposed()} (GPT-2's Conv1D; PEFT's {@code fan_in_fan_out}).
     */
    NDArray weight();

    Optional<NDArray> bias();

    /** True when {@link #weight()} is stored {@code [in, out]}. */
    default boolean transposed() {
        return false;
    }

    /**
     * Bytes of memory this layer's weight occupies as stored (float32 elements, or packed codes plus their
     * scales for a quantised layer), for memory reports; the bias is left out. {@code -1} when unknown.
     */
    default long weightBytes() {
        return -1;
    }

    /** The layer this one wraps, or itself for a plain layer. */
    default Linear base() {
        return this;
    }
}
