package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;

/** LlamaRMSNorm (Zhang and Sennrich 2019), shared by the families that use it. */
public final class RmsNorm {
    private RmsNorm() {}

    /** {@code weight * x / sqrt(mean(x^2) + eps)} over the last axis, in float32. */
    public static NDArray apply(NDArray x, NDArray weight, NDArray eps) {
        NDArray variance = x.square().mean(new int[] {-1}, true); // [..., 1]
        return x.div(variance.add(eps).sqrt()).mul(weight);
    }
}
