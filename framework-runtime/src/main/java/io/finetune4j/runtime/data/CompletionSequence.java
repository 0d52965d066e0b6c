package io.finetune4j.runtime.data;

import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.TextTokenizer;
import java.util.Arrays;

/**
 * TRL's prompt + completion sequence ({@code DPOTrainer.tokenize_row}), the one rule the reward, DPO and
 * ORPO stages train on and the preference evaluators score: the prompt with the tokenizer's special tokens
 * (a BOS where the tokenizer adds one), the completion without, then the first EOS id; the completion and
 * its EOS are the targets. Truncation is the caller's: {@link #keepEnd} is TRL's
 * {@code truncation_mode="keep_end"} (TRL v1.9's default is {@code keep_start}, applied by the preference
 * objectives).
 */
@Stable
public final class CompletionSequence {
    private CompletionSequence() {}

    /**
     * {@code prompt + completion + eos}, completion and EOS as targets, cut to the last {@code maxLength}
     * tokens ({@code maxLength <= 0}: no limit).
     */
    public static TokenizedExample of(long[] promptIds, long[] completionIds, long eos, int maxLength, Source source) {
        TokenizedExample full = new SequenceBuilder()
                .add(promptIds, false)
                .add(completionIds, true)
                .add(eos, true)
                .build(source);
        return keepEnd(full, maxLength);
    }

    /** Text: {@code encode(prompt, true)} and {@code encode(completion, false)}, then {@link #of(long[], long[], long, int, Source)}. */
    public static TokenizedExample of(TextTokenizer tokenizer, String prompt, String completion, long eos,
                                      int maxLength, Source source) {
        return of(tokenizer.encode(prompt, true), tokenizer.encode(completion, false), eos, maxLength, source);
    }

    /** TRL's keep_end: the last {@code maxLength} tokens of {@code full} ({@code maxLength <= 0}: all). */
    public static TokenizedExample keepEnd(TokenizedExample full, int maxLength) {
        int length = full.length();
        if (maxLength <= 0 || length <= maxLength) {
            return full;
        }
        return new TokenizedExample(Arrays.copyOfRange(full.ids(), length - maxLength, length),
                Arrays.copyOfRange(full.targets(), length - maxLength, length), full.source());
    }
}
