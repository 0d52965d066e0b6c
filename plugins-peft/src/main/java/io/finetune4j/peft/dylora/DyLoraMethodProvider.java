package io.finetune4j.peft.dylora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.peft.lora.LoraMethodProvider;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.List;

/**
 * Creates the {@code dylora} method: one LoRA adapter trained at a rank sampled every step, usable at any rank
 * up to {@code r}. It has no {@code peft_type} of its own: it writes PEFT's {@code LORA} layout, which the
 * {@code lora} method (and PEFT) read at full rank.
 */
public final class DyLoraMethodProvider implements MethodProvider<DyLoraConfig> {
    @Override public String id() { return "dylora"; }

    @Override public String description() { return "DyLoRA: LoRA trained at sampled ranks, usable at any rank <= r"; }

    @Override
    public DyLoraConfig defaults() {
        return new DyLoraConfig(8, 8.0, 0.0, ModelFamilies.peftDefaults().lora(), true, 0, List.of());
    }

    @Override
    public void validate(DyLoraConfig config, ConfigProblems problems) {
        problems.check(config.r() > 0, "r", "must be > 0, was %d", config.r());
        problems.check(config.loraAlpha() > 0, "lora_alpha", "must be > 0, was %s", config.loraAlpha());
        problems.check(config.loraDropout() >= 0 && config.loraDropout() < 1,
                "lora_dropout", "must be in [0, 1), was %s", config.loraDropout());
        problems.check(config.rank() >= 0 && config.rank() <= config.r(), "rank",
                "must be in [0, r] (0 means r = %d), was %d", config.r(), config.rank());
        List<Integer> saveRanks = config.saveRanks();
        for (int i = 0; i < saveRanks.size(); i++) {
            Integer k = saveRanks.get(i);
            problems.check(k != null && k >= 1 && k <= config.r(), "save_ranks[" + i + "]",
                    "must be in [1, r = %d], was %s", config.r(), k);
        }
        LoraMethodProvider.validateTargets(config.targetModules(), problems);
    }

    @Override
    public Method create(DyLoraConfig config, MethodContext context) {
        return new DyLoraMethod(config, context.model(), context.seed());
    }
}
