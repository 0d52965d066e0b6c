package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/** Scaled dot-product attention shared by the families (Vaswani et al. 2017; HF's eager_attention_forward). */
public final class Attention {
    private Attention() {}

    /**
     * {@code softmax(q k^T * scale + mask) v} with grouped-query attention: query head h reads key/value
     * head {@code h / (heads / kv_heads)}, as {@code repeat_kv} does, but by regrouping the queries
     * instead of copying the keys. The scale is applied to the queries (smaller than the scores once the
     * sequence outgrows head_dim) and the mask is added in place: matmul's backward does not need its output.
     *
     * @param query {@code [batch, heads, length, head_dim]}
     * @param key {@code [batch, kv_heads, total, head_dim]}
     * @param value {@code [batch, kv_heads, total, head_dim]}
     * @param mask additive {@code [batch or 1, 1, length, total]} or null
     * @return {@code [batch, heads, length, head_dim]}
     */
    public static NDArray attend(NDArray query, NDArray key, NDArray value, NDArray mask, NDArray scale) {
        return attend(query, key, value, mask, scale, 0f);
    }

    /**
     * Like {@link #attend(NDArray, NDArray, NDArray, NDArray, NDArray)} with dropout of rate
     * {@code dropout} on the attention probabilities ({@code attn_pdrop}, {@code attention_dropout}), as
     * the eager attention of transformers applies it in training; 0 skips it.
     */
    public static NDArray attend(NDArray query, NDArray key, NDArray value, NDArray mask, NDArray scale, float dropout) {
        return attend(query, key, value, mask, scale, dropout, MAX_CHUNK_SCORES);
    }

    /**
     * Scores a chunk of queries may hold at once ({@code batch · heads · queries · total}): 16M floats, 64 MB. Above
     * it the queries are split into chunks, each attended on its own: the same numbers (softmax is per query row),
     * but the forward's and backward's temporaries of the {@code [.., length, total]} score matrix exist one chunk at
     * a time (the saved probabilities, one copy, remain), which bounds long-sequence training.
     */
    static final long MAX_CHUNK_SCORES = 1L << 24;

    /** {@link #attend(NDArray, NDArray, NDArray, NDArray, NDArray, float)} chunked above {@code maxChunkScores}. */
    static NDArray attend(NDArray query, NDArray key, NDArray value, NDArray mask, NDArray scale, float dropout,
                          long maxChunkScores) {
        long batch = query.getShape().get(0);
        long heads = query.getShape().get(1);
        long length = query.getShape().get(2);
        long total = key.getShape().get(2);
        long perQuery = batch * heads * total;
        long chunk = Math.max(1, maxChunkScores / Math.max(1, perQuery));
        if (chunk >= length) {
            return attendAll(query, key, value, mask, scale, dropout);
        }
        NDList outputs = new NDList();
        for (long start = 0; start < length; start += chunk) {
            long end = Math.min(length, start + chunk);
            NDIndex rows = new NDIndex(":, :, {}:{}", start, end);
            NDArray chunkMask = mask == null ? null : mask.getShape().get(2) == 1 ? mask : mask.get(rows);
            outputs.add(attendAll(query.get(rows), key, value, chunkMask, scale, dropout));
        }
        return NDArrays.concat(outputs, 2);
    }

    private static NDArray attendAll(NDArray query, NDArray key, NDArray value, NDArray mask, NDArray scale,
                                     float dropout) {
        long batch = query.getShape().get(0);
        long heads = query.getShape().get(1);
        long length = query.getShape().get(2);
        long headDim = query.getShape().get(3);
        long kvHeads = key.getShape().get(1);
        long total = key.getShape().get(2);
        long group = heads / kvHeads;
        NDArray scaled = query.mul(scale);
        NDArray grouped = group == 1 ? scaled : scaled.reshape(batch, kvHeads, group * length, headDim);
        NDArray scores = grouped.matMul(key.transpose(0, 1, 3, 2)); // [batch, kv_heads, group*length, total]
        if (group > 1) {
            scores = scores.reshape(batch, heads, length, total);
        }
        if (mask != null) {
            scores.addi(mask);
        }
        NDArray probs = Dropouts.apply(scores.softmax(-1), dropout);
        if (group > 1) {
            probs = probs.reshape(batch, kvHeads, group * length, total);
        }
        NDArray out = probs.matMul(value); // [batch, kv_heads, group*length, head_dim]
        return group == 1 ? out : out.reshape(batch, heads, length, headDim);
    }
}
