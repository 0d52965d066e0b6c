package io.finetune4j.peft.prompt;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.Optional;

/**
 * Creates the {@code p-tuning} method: a soft prompt produced by PEFT's MLP prompt encoder. The method registers
 * itself as the model's input transform (see {@link VirtualTokenMethod}).
 */
public final class PTuningMethodProvider implements MethodProvider<PTuningConfig> {
    @Override public String id() { return "p-tuning"; }

    @Override public String description() { return "P-tuning: a soft prompt from an MLP prompt encoder (PEFT-compatible)"; }

    @Override
    public PTuningConfig defaults() {
        return new PTuningConfig(20, "MLP", 0, 2, 0.0);
    }

    @Override
    public void validate(PTuningConfig config, ConfigProblems problems) {
        problems.check(config.numVirtualTokens() > 0, "num_virtual_tokens", "must be > 0, was %d",
                config.numVirtualTokens());
        problems.check("MLP".equals(config.encoderReparameterizationType()), "encoder_reparameterization_type",
                "must be MLP (PEFT's recommended encoder; LSTM is not implemented), was '%s'",
                config.encoderReparameterizationType());
        problems.check(config.encoderHiddenSize() >= 0, "encoder_hidden_size",
                "must be >= 0 (0 means the model's hidden size), was %d", config.encoderHiddenSize());
        problems.check(config.encoderNumLayers() >= 1, "encoder_num_layers", "must be >= 1, was %d",
                config.encoderNumLayers());
        problems.check(config.encoderDropout() >= 0 && config.encoderDropout() < 1, "encoder_dropout",
                "must be in [0, 1), was %s", config.encoderDropout());
    }

    @Override
    public Method create(PTuningConfig config, MethodContext context) {
        return new PTuningMethod(config, context.model(), context.seed());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(PTuningMethod.PEFT_TYPE);
    }
}
