package io.finetune4j.api.model;

import io.finetune4j.api.Stable;

/** Named places in a decoder block where modules that are not linear layers can be inserted. */
@Stable
public enum HookPoint {
    /** Applied to the attention sub-layer's output, before it is added to the residual stream. */
    AFTER_ATTENTION,
    /** Applied to the MLP sub-layer's output, before it is added to the residual stream. */
    AFTER_MLP
}
