package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.List;
import java.util.Optional;

/** Creates the {@code lora} method: low-rank adapters beside frozen linear layers, as Hugging Face PEFT. */
public final class LoraMethodProvider implements MethodProvider<LoraConfig> {
    @Override public String id() { return "lora"; }

    @Override public String description() { return "LoRA: low-rank adapters on linear layers (PEFT-compatible)"; }

    @Override
    public LoraConfig defaults() {
        return new LoraConfig(8, 8.0, 0.0, List.of("q_proj", "v_proj", "c_attn"));
    }

    @Override
    public void validate(LoraConfig config, ConfigProblems problems) {
        problems.check(config.r() > 0, "r", "must be > 0, was %d", config.r());
        problems.check(config.loraAlpha() > 0, "lora_alpha", "must be > 0, was %s", config.loraAlpha());
        problems.check(config.loraDropout() >= 0 && config.loraDropout() < 1,
                "lora_dropout", "must be in [0, 1), was %s", config.loraDropout());
        List<String> targets = config.targetModules();
        if (problems.check(!targets.isEmpty(), "target_modules", "must name at least one module")) {
            for (int i = 0; i < targets.size(); i++) {
                String target = targets.get(i);
                problems.check(target != null && !target.isBlank(), "target_modules[" + i + "]", "must not be empty");
            }
            problems.check(!targets.contains(TargetModules.ALL_LINEAR) || targets.size() == 1, "target_modules",
                    "'%s' must be the only entry, was %s", TargetModules.ALL_LINEAR, targets);
        }
    }

    @Override
    public Method create(LoraConfig config, MethodContext context) {
        return new LoraMethod(config, context.model(), context.seed());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(LoraMethod.PEFT_TYPE);
    }
}
