package io.finetune4j.alignment.sft;

/**
 * Settings of the {@code sft} objective (supervised fine-tuning, as TRL's {@code SFTTrainer}); pipeline
 * files write the keys in snake_case.
 *
 * @param completionOnlyLoss train only on completion tokens of prompt/completion rows and on assistant
 *     turns of conversations (TRL's {@code completion_only_loss} and {@code assistant_only_loss}); when
 *     false every token after the first is a target
 * @param addEos end text and prompt/completion rows with the tokenizer's EOS token (TRL appends it too), so
 *     the model learns to stop; conversations end with the chat format's own end marker instead
 */
public record SftConfig(boolean completionOnlyLoss, boolean addEos) {}
