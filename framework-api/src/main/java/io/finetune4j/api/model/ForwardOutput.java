package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;

/**
 * @param logits {@code [batch, positions, vocab]} for the positions {@link ForwardInput#logits()} asked
 *     for; null for {@code NONE}
 * @param hiddenStates {@code [batch, seq, hidden]} after the final norm
 * @param cache the updated cache when {@link ForwardInput#useCache()}, else null
 */
@Stable
public record ForwardOutput(NDArray logits, NDArray hiddenStates, KvCache cache) {}
