package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;

/**
 * One forward pass. Arrays belong to the caller's (step) manager; every intermediate the model creates
 * joins that manager too.
 *
 * @param inputIds {@code [batch, seq]} int64 token ids
 * @param attentionMask {@code [batch, past + seq]} 1 for real tokens, 0 for padding; null means all real
 * @param positionIds {@code [batch, seq]} int64; null means {@code past .. past+seq-1} (after left padding,
 *     positions count real tokens only, as Hugging Face's generate does)
 * @param segmentIds {@code [batch, seq]} packed-example ids: attention never crosses segments and
 *     positions restart per segment; null when not packed
 * @param pastKeyValues cache of earlier positions (generation, prefix tuning); null for none
 * @param prefixEmbeddings {@code [batch, virtual, hidden]} prepended to the token embeddings (prompt
 *     tuning); null for none
 * @param training dropout and other training-only behaviour on
 * @param useCache return an updated {@link KvCache}
 * @param logits which positions get the LM head
 */
@Stable
public record ForwardInput(
        NDArray inputIds,
        NDArray attentionMask,
        NDArray positionIds,
        NDArray segmentIds,
        KvCache pastKeyValues,
        NDArray prefixEmbeddings,
        boolean training,
        boolean useCache,
        Logits logits) {

    /** Which positions are projected to the vocabulary. */
    public enum Logits {
        ALL,
        /** All but the last position: training, where the last position has no label. */
        ALL_BUT_LAST,
        /** Only the last position: generation. */
        LAST,
        /** None: only hidden states (reward and value heads). */
        NONE
    }

    public ForwardInput {
        if (inputIds == null) {
            throw new IllegalArgumentException("inputIds is null");
        }
        if (logits == null) {
            logits = Logits.ALL;
        }
    }

    /** Inference over {@code inputIds} with every position's logits and no cache. */
    public static ForwardInput of(NDArray inputIds) {
        return new ForwardInput(inputIds, null, null, null, null, null, false, false, Logits.ALL);
    }

    public ForwardInput withAttentionMask(NDArray mask) {
        return new ForwardInput(inputIds, mask, positionIds, segmentIds, pastKeyValues, prefixEmbeddings, training, useCache, logits);
    }

    public ForwardInput withPositionIds(NDArray positions) {
        return new ForwardInput(inputIds, attentionMask, positions, segmentIds, pastKeyValues, prefixEmbeddings, training, useCache, logits);
    }

    public ForwardInput withSegmentIds(NDArray segments) {
        return new ForwardInput(inputIds, attentionMask, positionIds, segments, pastKeyValues, prefixEmbeddings, training, useCache, logits);
    }

    public ForwardInput withCache(KvCache cache, boolean use) {
        return new ForwardInput(inputIds, attentionMask, positionIds, segmentIds, cache, prefixEmbeddings, training, use, logits);
    }

    public ForwardInput withPrefixEmbeddings(NDArray prefix) {
        return new ForwardInput(inputIds, attentionMask, positionIds, segmentIds, pastKeyValues, prefix, training, useCache, logits);
    }

    public ForwardInput withTraining(boolean on) {
        return new ForwardInput(inputIds, attentionMask, positionIds, segmentIds, pastKeyValues, prefixEmbeddings, on, useCache, logits);
    }

    public ForwardInput withLogits(Logits which) {
        return new ForwardInput(inputIds, attentionMask, positionIds, segmentIds, pastKeyValues, prefixEmbeddings, training, useCache, which);
    }
}
