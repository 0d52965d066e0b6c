package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Float32 scalars owned by the model's manager, for array-array ops. {@code NDArray.mul(Number)} wraps
 * a Java-owned buffer that autograd may read after the GC freed it (STACK.md), so forwards never use it.
 */
public final class Scalars {
    private final NDManager manager;
    private final Map<Float, NDArray> cache = new ConcurrentHashMap<>();

    Scalars(NDManager manager) {
        this.manager = manager;
    }

    /** A shape-() array holding {@code value}; always the second operand, so results join the caller. */
    public NDArray of(float value) {
        return cache.computeIfAbsent(value, key -> manager.create(key.floatValue()));
    }
}
