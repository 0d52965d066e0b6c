package io.finetune4j.alignment.sft;

/**
 * Settings of the {@code sft} objective (supervised fine-tuning, as TRL's {@code SFTTrainer}); pipeline
 * files write the keys in snake_case, with TRL's {@code SFTConfig} names.
 *
 * @param chatTemplate how {@code messages} rows are rendered: {@code auto} (the tokenizer's own
 *     {@code chat_template}, else the built-in ChatML), a built-in name ({@code chatml}, {@code llama-2},
 *     {@code llama-3}, {@code zephyr}) or a path to a Jinja file (relative to the pipeline file)
 * @param completionOnlyLoss prompt/completion rows train only on the completion (and its EOS); when false
 *     every token after the first is a target
 * @param assistantOnlyLoss messages rows train only on assistant text: the template's
 *     {@code {% generation %}} blocks when it has them, else each assistant turn located by rendering the
 *     conversation's prefixes; when false every token after the first is a target
 * @param addEos end every row with the tokenizer's EOS token unless it already ends with it, so the model
 *     learns to stop (a conversation only when its last message is the assistant's)
 * @param packing pack tokenized rows into sequences of {@code max_length} tokens; attention never crosses
 *     rows and positions restart for each row
 * @param packingStrategy {@code bfd} (best-fit decreasing: rows are never split) or {@code wrapped} (rows
 *     are concatenated and cut every {@code max_length} tokens)
 * @param klToBase an added {@code β × KL} to the base model against forgetting; off (β = 0) by default
 */
public record SftConfig(String chatTemplate, boolean completionOnlyLoss, boolean assistantOnlyLoss,
                        boolean addEos, boolean packing, String packingStrategy, KlToBaseConfig klToBase) {

    public SftConfig {
        if (klToBase == null) {
            klToBase = KlToBaseConfig.OFF;
        }
    }

    /** Without the KL term. */
    public SftConfig(String chatTemplate, boolean completionOnlyLoss, boolean assistantOnlyLoss,
                     boolean addEos, boolean packing, String packingStrategy) {
        this(chatTemplate, completionOnlyLoss, assistantOnlyLoss, addEos, packing, packingStrategy, KlToBaseConfig.OFF);
    }

    /** Defaults for everything but the two original settings; the one flag covers both kinds of row. */
    public SftConfig(boolean completionOnlyLoss, boolean addEos) {
        this("auto", completionOnlyLoss, completionOnlyLoss, addEos, false, "bfd");
    }
}
