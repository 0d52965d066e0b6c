package io.finetune4j.peft.lora;

import java.util.List;

/**
 * Settings of the {@code lora} method (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models",
 * 2021), named and defaulted as Hugging Face PEFT's {@code LoraConfig}; pipeline files write the keys in
 * snake_case ({@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}).
 *
 * <p>{@code targetModules} selects linear layers as PEFT does for a list: a module is adapted when its
 * name equals an entry or ends with {@code "." + entry} ({@code q_proj} matches
 * {@code model.layers.0.self_attn.q_proj}). The single entry {@code all-linear} selects every linear layer
 * except the output layer {@code lm_head}. The default, {@code [q_proj, v_proj, c_attn]}, is PEFT's default
 * for the Llama family ({@code q_proj}, {@code v_proj}) and for GPT-2 ({@code c_attn}) in one list, so it
 * works for every supported architecture: an entry that names a module of another supported architecture
 * (see {@link TargetModules#KNOWN_MODULES}) may match nothing in this model, but any other entry that
 * matches nothing is an error (a typo such as {@code qq_proj}), and the list must match at least one module.
 *
 * @param r rank of the update, {@code > 0}
 * @param loraAlpha the update is scaled by {@code lora_alpha / r}
 * @param loraDropout dropout on the adapter's input while training, in {@code [0, 1)}
 * @param targetModules module names or suffixes, or {@code [all-linear]}
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules) {
    public LoraConfig {
        targetModules = List.copyOf(targetModules);
    }

    /** PEFT's scaling factor {@code lora_alpha / r} (no rsLoRA). */
    public double scaling() {
        return loraAlpha / r;
    }
}
