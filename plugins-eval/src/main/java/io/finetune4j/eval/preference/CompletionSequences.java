package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.SequenceBuilder;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.Arrays;

/**
 * Prompt + completion sequences as the {@code reward} and {@code dpo} stages tokenize them (TRL's
 * {@code DPOTrainer.tokenize_row}): the prompt with the tokenizer's special tokens, the completion without,
 * then the first EOS id; the completion and its EOS are the targets. A sequence longer than
 * {@code max_length} keeps its last {@code max_length} tokens (TRL's default {@code keep_end}), so a reward
 * or log-prob is read on what the stage trained on.
 */
public final class CompletionSequences {
    private CompletionSequences() {}

    /** The tokenizer's first EOS id, or a ConfigException: preference sequences end with EOS. */
    public static long eos(TextTokenizer tokenizer, String evaluatorId, String whose) {
        long[] ids = tokenizer.eosTokenIds();
        if (ids.length == 0) {
            throw new ConfigException(evaluatorId + ": the tokenizer of " + whose
                    + " declares no EOS token; scored completions end with EOS");
        }
        return ids[0];
    }

    /** {@code prompt + completion + eos}, completion and EOS as targets, cut to the last {@code maxLength} tokens. */
    public static TokenizedExample of(long[] promptIds, long[] completionIds, long eos, int maxLength, Source source) {
        TokenizedExample full = new SequenceBuilder()
                .add(promptIds, false)
                .add(completionIds, true)
                .add(eos, true)
                .build(source);
        int length = full.length();
        if (maxLength <= 0 || length <= maxLength) {
            return full;
        }
        return new TokenizedExample(Arrays.copyOfRange(full.ids(), length - maxLength, length),
                Arrays.copyOfRange(full.targets(), length - maxLength, length), source);
    }

    /** Text rows: {@code encode(prompt, true)} and {@code encode(completion, false)}. */
    public static TokenizedExample of(TextTokenizer tokenizer, String prompt, String completion, long eos, int maxLength,
                                      Source source) {
        return of(tokenizer.encode(prompt, true), tokenizer.encode(completion, false), eos, maxLength, source);
    }

    /** Generated tokens without the EOS that ended them (the scored sequence appends its own EOS). */
    public static long[] withoutEos(long[] outputIds, long[] eosIds) {
        if (outputIds.length > 0) {
            long last = outputIds[outputIds.length - 1];
            for (long eos : eosIds) {
                if (eos == last) {
                    return Arrays.copyOf(outputIds, outputIds.length - 1);
                }
            }
        }
        return outputIds.clone();
    }
}
