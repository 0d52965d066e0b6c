package io.finetune4j.peft.prompt;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.Optional;

/**
 * Creates the {@code prefix-tuning} method: trainable per-layer key/value prefixes, as Hugging Face PEFT. The
 * method registers itself as the model's input transform (see {@link VirtualTokenMethod}).
 */
public final class PrefixTuningMethodProvider implements MethodProvider<PrefixTuningConfig> {
    @Override public String id() { return "prefix-tuning"; }

    @Override public String description() { return "Prefix tuning: trainable key/value prefixes (PEFT-compatible)"; }

    @Override
    public PrefixTuningConfig defaults() {
        return new PrefixTuningConfig(20, false, 0);
    }

    @Override
    public void validate(PrefixTuningConfig config, ConfigProblems problems) {
        problems.check(config.numVirtualTokens() > 0, "num_virtual_tokens", "must be > 0, was %d",
                config.numVirtualTokens());
        problems.check(config.encoderHiddenSize() >= 0, "encoder_hidden_size",
                "must be >= 0 (0 means token_dim), was %d", config.encoderHiddenSize());
    }

    @Override
    public Method create(PrefixTuningConfig config, MethodContext context) {
        return new PrefixTuningMethod(config, context.model(), context.seed());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(PrefixTuningMethod.PEFT_TYPE);
    }
}
