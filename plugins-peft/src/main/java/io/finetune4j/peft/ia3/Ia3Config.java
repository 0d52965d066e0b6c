package io.finetune4j.peft.ia3;

import io.finetune4j.runtime.model.family.ModelFamilies;
import io.finetune4j.runtime.model.family.PeftTargets;
import java.util.List;

/**
 * Settings of the {@code ia3} method (Liu et al., "Few-Shot Parameter-Efficient Fine-Tuning is Better and
 * Cheaper than In-Context Learning", 2022), named as Hugging Face PEFT's {@code IA3Config}.
 *
 * <p>Modules are matched as PEFT matches a list: a linear layer is selected when its name equals an entry or
 * ends with {@code "." + entry}. Empty lists (the default) stand for PEFT's {@code target_modules=None}: the
 * model's {@code model_type} picks both lists from PEFT v0.20's {@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}
 * and {@code ..._FEEDFORWARD_MODULES_MAPPING} ({@code utils/constants.py}): llama and mistral {@code [k_proj,
 * v_proj, down_proj]}, qwen2 and qwen3 {@code [q_proj, v_proj, down_proj]}, feed-forward {@code down_proj}; gpt2
 * {@code [c_attn, mlp.c_proj]}, feed-forward {@code mlp.c_proj}.
 *
 * @param targetModules linear layers that get a learned vector
 * @param feedforwardModules the subset of {@code targetModules} whose INPUT is scaled ({@code [1, in]}); the
 *     other targets scale their OUTPUT ({@code [out, 1]})
 */
public record Ia3Config(List<String> targetModules, List<String> feedforwardModules) {
    public Ia3Config {
        targetModules = List.copyOf(targetModules);
        feedforwardModules = List.copyOf(feedforwardModules);
    }

    /**
     * This config with empty {@code target_modules} replaced by PEFT's defaults for {@code modelType}; a model
     * type the runtime has no table for gets every family's defaults in one list.
     */
    public Ia3Config forModelType(String modelType) {
        if (!targetModules.isEmpty()) {
            return this;
        }
        PeftTargets defaults = ModelFamilies.peftTargets(modelType).orElseGet(ModelFamilies::peftDefaults);
        return new Ia3Config(defaults.ia3(), defaults.ia3FeedForward());
    }
}
