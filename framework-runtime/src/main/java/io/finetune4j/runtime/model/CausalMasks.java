package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Additive causal masks: 0 where a query may see a key, float32 min where it may not (as Hugging Face
 * builds them: never -inf, so no row can turn into NaN). Built per forward from two position ranges in
 * the step's manager: a few small ops, no cached table whose slices would land in the model's manager.
 */
final class CausalMasks {
    static final float MASKED = -Float.MAX_VALUE; // torch.finfo(torch.float32).min

    private CausalMasks() {}

    /**
     * The mask of queries at absolute positions {@code past .. past+length-1} over keys {@code 0 .. past+length-1}:
     * {@code [1, 1, length, past+length]}, owned by {@code step}.
     */
    static NDArray causal(long past, long length, NDManager step, Scalars scalars) {
        long total = past + length;
        NDArray keys = step.arange(0f, (float) total, 1f, DataType.FLOAT32); // [total]
        NDArray queries = step.arange((float) past, (float) total, 1f, DataType.FLOAT32).reshape(length, 1); // [length, 1]
        NDArray later = keys.gt(queries).toType(DataType.FLOAT32, false); // [length, total], 1 where key > query
        return later.mul(scalars.of(MASKED)).reshape(1, 1, length, total);
    }
}
