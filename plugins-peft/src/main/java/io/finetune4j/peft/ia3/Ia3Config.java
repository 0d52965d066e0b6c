package io.finetune4j.peft.ia3;

import java.util.List;

/**
 * Settings of the {@code ia3} method (Liu et al., "Few-Shot Parameter-Efficient Fine-Tuning is Better and
 * Cheaper than In-Context Learning", 2022), named as Hugging Face PEFT's {@code IA3Config}.
 *
 * <p>Modules are matched as PEFT matches a list: a linear layer is selected when its name equals an entry or
 * ends with {@code "." + entry}. The defaults are PEFT's per-family defaults
 * ({@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}) for the Llama family ({@code k_proj},
 * {@code v_proj}, {@code down_proj}) and GPT-2 ({@code c_attn}, {@code mlp.c_proj}) in one list; entries that
 * name another supported family's modules may match nothing in this model.
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
}
