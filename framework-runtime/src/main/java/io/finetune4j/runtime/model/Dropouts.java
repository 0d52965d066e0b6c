package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;

/**
 * Inverted dropout as {@code torch.nn.functional.dropout} in training: each element is zeroed with
 * probability {@code rate} and the rest scaled by {@code 1 / (1 − rate)}, drawn from the engine's random
 * generator (seeded by the trainer). Callers apply it only while training; a rate of 0 is the identity.
 */
public final class Dropouts {
    private Dropouts() {}

    public static NDArray apply(NDArray x, float rate) {
        if (rate <= 0f) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, rate, true).singletonOrThrow();
    }

    /** A dropout rate from the config ({@code fallback}: the transformers config class's default), in [0, 1), or a {@link io.finetune4j.api.ConfigException} naming the key. */
    public static float rate(RawConfig raw, String key, float fallback, String source) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number number) || number.doubleValue() < 0 || number.doubleValue() >= 1) {
            throw new io.finetune4j.api.ConfigException(source + ": " + key + " must be a number in [0, 1), was " + value);
        }
        return number.floatValue();
    }
}
