package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.api.model.Linear;

/** What an {@link Architecture} reads from the model during a forward. */
public interface ModelParts {
    /** A loaded tensor by Hugging Face name. */
    NDArray tensor(String name);

    /** The layer currently in the slot (a wrapper after {@code replaceLinear}). */
    Linear linear(String name);

    /**
     * Runs the hooks at {@code point} of {@code layer} on a sub-layer output (none while adapters are disabled);
     * {@code residual} is the residual stream the output is then added to.
     */
    NDArray hooks(int layer, HookPoint point, NDArray output, NDArray residual, boolean training);

    Scalars scalars();
}
