package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.KvCache;

/** Per-forward values shared by the layers; lives as long as one {@code forward} call. */
public final class ForwardState {
    public final NDManager manager;
    public final boolean training;
    public final ForwardPlan plan;
    final KvCache past;
    /** The updated cache, or null when the caller did not ask for one. */
    final KvCache present;
    /** Rotary tables at this forward's positions, {@code [rows, length, 1, head_dim]} (Llama family). */
    public NDArray cos;
    public NDArray sin;

    ForwardState(NDManager manager, boolean training, ForwardPlan plan, KvCache past, KvCache present) {
        this.manager = manager;
        this.training = training;
        this.plan = plan;
        this.past = past;
        this.present = present;
    }

    /** Makes {@code array} (the result of an op led by a model- or caller-owned array) the step's. */
    public NDArray own(NDArray array) {
        if (array.getManager() != manager) {
            array.attach(manager);
        }
        return array;
    }

    /**
     * Appends this forward's keys and values ({@code [batch, kv_heads, length, head_dim]}) to the layer's
     * cache and records them when a cache is asked for; returns the full keys and values.
     */
    public NDArray[] keysAndValues(int layer, NDArray keys, NDArray values) {
        if (past != null && past.keys(layer) != null) {
            keys = own(past.keys(layer).concat(keys, 2));
            values = own(past.values(layer).concat(values, 2));
        }
        if (present != null) {
            present.set(layer, keys, values);
        }
        return new NDArray[] {keys, values};
    }
}
