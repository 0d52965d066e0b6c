package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;

/** A module inserted at a {@link HookPoint}: {@code [batch, seq, hidden] -> [batch, seq, hidden]}. */
@Stable
@FunctionalInterface
public interface BlockHook {
    NDArray apply(NDArray hidden, boolean training);

    /**
     * Runs the module on a sub-layer output together with the residual stream that output is about to be added to
     * (both {@code [batch, seq, hidden]}); the model calls this one. For modules whose input includes the residual
     * stream, as AdapterHub's Pfeiffer adapter reads {@code output + residual}. The default ignores the residual.
     */
    default NDArray apply(NDArray hidden, NDArray residual, boolean training) {
        return apply(hidden, training);
    }
}
