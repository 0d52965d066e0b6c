package io.finetune4j.alignment.preference;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Tokenizes preference rows as TRL's {@code DPOTrainer.tokenize_row} does, each of chosen and rejected by
 * the runtime's {@link CompletionSequence} rule (prompt with special tokens, completion, EOS; keep_end
 * truncation to {@code max_length}). Prompt tokens are context; the completion and its EOS are the targets
 * whose log-probs are summed. Chosen and rejected sequences are truncated independently, as TRL
 * does per row. TRL's separate {@code max_prompt_length}/{@code max_completion_length} limits are not offered.
 *
 * <p>Rejected with file and line: a row of another kind, an empty {@code chosen} or {@code rejected}
 * (there would be nothing to prefer but the EOS).
 */
public final class PreferenceTokenizer {
    private final TextTokenizer tokenizer;
    private final int maxLength;
    private final long eos;

    /**
     * @param neededBy the objective id, for messages ("dpo needs an EOS token")
     */
    public PreferenceTokenizer(TextTokenizer tokenizer, int maxLength, String neededBy) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        long[] eosIds = tokenizer.eosTokenIds();
        if (eosIds.length == 0) {
            throw new ConfigException(neededBy + ": the tokenizer declares no EOS token; preference"
                    + " completions end with EOS");
        }
        if (maxLength < 2) {
            throw new ConfigException(neededBy + ": max_length must be at least 2, was " + maxLength);
        }
        this.eos = eosIds[0];
    }

    /** Every row of every dataset, in order; the first bad row throws a {@link ConfigException}. */
    public List<PreferencePair> tokenizeAll(List<Dataset> datasets, String neededBy) {
        List<PreferencePair> pairs = new ArrayList<>();
        for (Dataset dataset : datasets) {
            for (Example example : dataset.examples()) {
                pairs.add(tokenize(example, neededBy));
            }
        }
        if (pairs.isEmpty()) {
            throw new ConfigException(neededBy + ": the training data has no rows");
        }
        return List.copyOf(pairs);
    }

    public PreferencePair tokenize(Example example, String neededBy) {
        if (!(example instanceof Example.Preference row)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s trains on preference rows {\"prompt\", \"chosen\", \"rejected\"}, found a %s row",
                    example.source(), neededBy, example.getClass().getSimpleName()));
        }
        long[] prompt = tokenizer.encode(row.prompt(), true);
        TokenizedExample chosen = sequence(prompt, row.chosen(), "chosen", row.source());
        TokenizedExample rejected = sequence(prompt, row.rejected(), "rejected", row.source());
        return new PreferencePair(chosen, rejected, row.source());
    }

    private TokenizedExample sequence(long[] prompt, String completionText, String key, Source source) {
        long[] completion = tokenizer.encode(completionText, false);
        if (completion.length == 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"%s\" is empty; a preference row needs a non-empty chosen and rejected completion",
                    source, key));
        }
        return CompletionSequence.of(prompt, completion, eos, maxLength, source);
    }
}
