package io.finetune4j.api.reward;

import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Source;
import java.util.Objects;

/**
 * One completion to be scored: the prompt it answers, the text the policy generated, the same as token
 * ids of the policy's tokenizer, and the example's reference answer when the data has one.
 *
 * @param prompt the prompt as the policy saw it (after any chat template)
 * @param completion the generated text, special tokens removed
 * @param promptIds token ids of {@code prompt}
 * @param completionIds generated token ids, EOS included when the policy emitted it
 * @param reference the row's reference answer ({@code completion} of a prompt/completion row), or {@code ""}
 * @param source the data row the prompt came from, for error messages
 */
@Stable
public record RewardInput(String prompt, String completion, long[] promptIds, long[] completionIds,
                          String reference, Source source) {
    public RewardInput {
        Objects.requireNonNull(prompt, "prompt is null");
        Objects.requireNonNull(completion, "completion is null");
        promptIds = promptIds.clone();
        completionIds = completionIds.clone();
        Objects.requireNonNull(reference, "reference is null");
        Objects.requireNonNull(source, "source is null");
    }

    @Override
    public long[] promptIds() {
        return promptIds.clone();
    }

    @Override
    public long[] completionIds() {
        return completionIds.clone();
    }
}
