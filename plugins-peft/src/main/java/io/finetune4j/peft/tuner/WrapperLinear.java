package io.finetune4j.peft.tuner;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.Linear;
import java.util.Optional;

/**
 * A linear layer that wraps another ({@link #base()}) and adds something to its forward: PEFT's
 * {@code BaseTunerLayer}. Everything but {@link #forward} is the base's, so a wrapper states only what it adds;
 * a mixin, not a base class (no state, no constructor).
 */
public interface WrapperLinear extends Linear {
    /** The wrapped layer; never this one. */
    @Override
    Linear base();

    @Override
    default String name() {
        return base().name();
    }

    @Override
    default int inFeatures() {
        return base().inFeatures();
    }

    @Override
    default int outFeatures() {
        return base().outFeatures();
    }

    @Override
    default NDArray weight() {
        return base().weight();
    }

    @Override
    default Optional<NDArray> bias() {
        return base().bias();
    }

    @Override
    default boolean transposed() {
        return base().transposed();
    }
}
