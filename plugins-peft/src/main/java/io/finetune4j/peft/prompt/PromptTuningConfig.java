package io.finetune4j.peft.prompt;

/**
 * Settings of the {@code prompt-tuning} method (Lester et al., "The Power of Scale for Parameter-Efficient
 * Prompt Tuning", 2021), named and defaulted as Hugging Face PEFT's {@code PromptTuningConfig}, except
 * {@code num_virtual_tokens}, which PEFT requires and this method defaults to 20.
 *
 * @param numVirtualTokens soft-prompt length, {@code > 0}
 * @param promptTuningInit {@code RANDOM} (PEFT: {@code nn.Embedding}'s {@code N(0, 1)}) or {@code TEXT} (the
 *     embeddings of {@code prompt_tuning_init_text}'s tokens, repeated and truncated to the length)
 * @param promptTuningInitText the text for {@code TEXT}; empty otherwise
 */
public record PromptTuningConfig(int numVirtualTokens, String promptTuningInit, String promptTuningInitText) {}
