package io.finetune4j.peft.prompt;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.List;
import java.util.Optional;

/**
 * Creates the {@code prompt-tuning} method: a trainable soft prompt, as Hugging Face PEFT. The method registers
 * itself as the model's input transform (see {@link VirtualTokenMethod}).
 */
public final class PromptTuningMethodProvider implements MethodProvider<PromptTuningConfig> {
    static final List<String> INITS = List.of("RANDOM", "TEXT");

    @Override public String id() { return "prompt-tuning"; }

    @Override public String description() { return "Prompt tuning: a trainable soft prompt (PEFT-compatible)"; }

    @Override
    public PromptTuningConfig defaults() {
        return new PromptTuningConfig(20, "RANDOM", "");
    }

    @Override
    public void validate(PromptTuningConfig config, ConfigProblems problems) {
        problems.check(config.numVirtualTokens() > 0, "num_virtual_tokens", "must be > 0, was %d",
                config.numVirtualTokens());
        if (problems.check(INITS.contains(config.promptTuningInit()), "prompt_tuning_init",
                "must be one of %s, was '%s'", INITS, config.promptTuningInit())) {
            boolean text = "TEXT".equals(config.promptTuningInit());
            boolean hasText = config.promptTuningInitText() != null && !config.promptTuningInitText().isBlank();
            problems.check(!text || hasText, "prompt_tuning_init_text", "must be set when prompt_tuning_init is TEXT");
        }
    }

    @Override
    public Method create(PromptTuningConfig config, MethodContext context) {
        return new PromptTuningMethod(config, context.model(), context.seed());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(PromptTuningMethod.PEFT_TYPE);
    }
}
