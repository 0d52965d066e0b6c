package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of past positions, one pair per layer, each {@code [batch, kv_heads, past, head_dim]}
 * (after rotary embedding). Generation appends to it; prefix tuning supplies a trainable one.
 */
@Stable
public final class KvCache {
    private final List<NDArray> keys;
    private final List<NDArray> values;

    public KvCache(int layers) {
        this.keys = new ArrayList<>(java.util.Collections.nCopies(layers, (NDArray) null));
        this.values = new ArrayList<>(java.util.Collections.nCopies(layers, (NDArray) null));
    }

    public int layers() {
        return keys.size();
    }

    /** Past length in positions, 0 when empty. */
    public long length() {
        NDArray first = keys.get(0);
        return first == null ? 0 : first.getShape().get(2);
    }

    public NDArray keys(int layer) {
        return keys.get(layer);
    }

    public NDArray values(int layer) {
        return values.get(layer);
    }

    public void set(int layer, NDArray key, NDArray value) {
        keys.set(layer, key);
        values.set(layer, value);
    }
}
