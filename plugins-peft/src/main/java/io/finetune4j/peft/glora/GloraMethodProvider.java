package io.finetune4j.peft.glora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.peft.lora.LoraMethodProvider;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.List;
import java.util.Set;

/** Creates the {@code glora} method: generalised LoRA supports on the weight and bias of linear layers. */
public final class GloraMethodProvider implements MethodProvider<GloraConfig> {
    private static final Set<String> WEIGHT_TYPES = Set.of("lora", "vector", "scalar", "none");
    private static final Set<String> BIAS_TYPES = Set.of("vector", "scalar", "none");

    @Override public String id() { return "glora"; }

    @Override public String description() { return "GLoRA: generalised LoRA scaling/shifting weight and bias (mergeable)"; }

    /** ViT-Slim's rank 4 and the largest sub-network of its search space: LoRA for A, B, C, vectors for D, E. */
    @Override
    public GloraConfig defaults() {
        return new GloraConfig(4, "lora", "lora", "lora", "vector", "vector", ModelFamilies.peftDefaults().lora());
    }

    @Override
    public void validate(GloraConfig config, ConfigProblems problems) {
        problems.check(config.r() > 0, "r", "must be > 0, was %d", config.r());
        for (String slot : GloraConfig.SLOTS) {
            GloraConfig.Support support = config.support(slot);
            boolean weightSlot = !slot.equals("d") && !slot.equals("e");
            if (weightSlot) {
                problems.check(WEIGHT_TYPES.contains(support.type()) && (!support.type().equals("lora")
                        || support.rank() > 0), slot, "must be lora, lora_<rank>, vector, scalar or none, was '%s'",
                        config.text(slot));
            } else {
                problems.check(BIAS_TYPES.contains(support.type()), slot,
                        "must be vector, scalar or none (the bias support is a vector), was '%s'", config.text(slot));
            }
        }
        LoraMethodProvider.validateTargets(config.targetModules(), problems);
        problems.check(GloraConfig.SLOTS.stream().anyMatch(slot -> !config.support(slot).none()), "a",
                "at least one of a, b, c, d, e must be other than none");
    }

    @Override
    public Method create(GloraConfig config, MethodContext context) {
        return new GloraMethod(config, context.model(), context.seed());
    }
}
