package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The part of a decoder that differs between model families; {@link TransformerModel} runs the loop. Public for
 * the families under {@code io.finetune4j.runtime.model.family}; not for plugins.
 */
public interface Architecture {
    /** Every tensor the forward reads, in Hugging Face's state-dict order, with its init rule. */
    List<TensorSpec> tensorSpecs();

    /** Linear module names ({@code <name>.weight} is a tensor), in model order. */
    List<String> linearNames();

    /** True when the module's weight is stored {@code [in, out]} (GPT-2 Conv1D). */
    boolean transposed(String linearName);

    /** The embedding matrix that doubles as the LM head when the head is tied. */
    String embeddingName();

    /** True when the LM head is the token embedding matrix (no {@code lm_head} linear). */
    boolean tiedHead();

    /** Rejects inputs this implementation would silently get wrong (position limits). */
    void checkLengths(ForwardPlan plan);

    /**
     * Sliding-window attention of every layer: a query sees only the {@code window} latest keys, itself
     * included (Mistral's {@code sliding_window}); empty for full attention.
     */
    default java.util.OptionalInt slidingWindow() {
        return java.util.OptionalInt.empty();
    }

    /** Token (and prefix) embeddings {@code [batch, length, hidden]}; prepares per-forward tables in state. */
    NDArray embed(ModelParts parts, NDArray inputIds, NDArray prefixEmbeddings, ForwardState state);

    /** Decoder layer {@code index}: {@code [batch, length, hidden] -> [batch, length, hidden]}. */
    NDArray layer(ModelParts parts, int index, NDArray hidden, ForwardState state);

    /** The final norm. */
    NDArray finalNorm(ModelParts parts, NDArray hidden);
}
