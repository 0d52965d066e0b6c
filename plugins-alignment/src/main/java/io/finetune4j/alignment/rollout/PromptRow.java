package io.finetune4j.alignment.rollout;

import io.finetune4j.api.data.Source;

/**
 * One rollout prompt: its text, its tokens (with the tokenizer's special tokens, truncated from the left),
 * and the row's reference answer ({@code ""} when the row has none).
 */
public record PromptRow(String prompt, long[] promptIds, String reference, Source source) {
    public PromptRow {
        promptIds = promptIds.clone();
    }

    @Override
    public long[] promptIds() {
        return promptIds.clone();
    }
}
