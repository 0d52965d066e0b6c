package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;

/** A module inserted at a {@link HookPoint}: {@code [batch, seq, hidden] -> [batch, seq, hidden]}. */
@Stable
@FunctionalInterface
public interface BlockHook {
    NDArray apply(NDArray hidden, boolean training);
}
