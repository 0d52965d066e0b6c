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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes preference rows as TRL's {@code DPOTrainer.tokenize_row} does, each of chosen and rejected by
 * the runtime's {@link CompletionSequence} rule (prompt with special tokens, completion, EOS). Prompt tokens
 * are context; the completion and its EOS are the targets whose log-probs are summed. Sequences longer than
 * {@code max_length} are cut or their pair dropped by the objective's {@link PreferenceTruncation}; chosen and
 * rejected are cut independently, as TRL's collator does per sequence. TRL's separate
 * {@code max_prompt_length}/{@code max_completion_length} limits are not offered.
 *
 * <p>Rejected with file and line: a row of another kind, an empty {@code chosen} or {@code rejected}
 * (there would be nothing to prefer but the EOS).
 */
public final class PreferenceTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(PreferenceTokenizer.class);

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

    /** Every row of every dataset, in order, with keep_end truncation; the first bad row throws a {@link ConfigException}. */
    public List<PreferencePair> tokenizeAll(List<Dataset> datasets, String neededBy) {
        return tokenizeAll(datasets, neededBy, PreferenceTruncation.KEEP_END);
    }

    /**
     * Every row of every dataset, in order, truncated or dropped by {@code truncation}; the first bad row throws
     * a {@link ConfigException}, and so does data of which every row is dropped.
     */
    public List<PreferencePair> tokenizeAll(List<Dataset> datasets, String neededBy, PreferenceTruncation truncation) {
        List<PreferencePair> pairs = new ArrayList<>();
        int rows = 0;
        for (Dataset dataset : datasets) {
            for (Example example : dataset.examples()) {
                rows++;
                PreferencePair pair = tokenize(example, neededBy, truncation);
                if (pair != null) {
                    pairs.add(pair);
                }
            }
        }
        if (rows == 0) {
            throw new ConfigException(neededBy + ": the training data has no rows");
        }
        if (pairs.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: all %d rows are longer than max_length (%d)"
                    + " and were dropped (%s); raise max_length", neededBy, rows, maxLength, describe(truncation)));
        }
        if (pairs.size() < rows) {
            LOG.warn("{}: dropped {} of {} preference rows ({})", neededBy, rows - pairs.size(), rows,
                    describe(truncation));
        }
        return List.copyOf(pairs);
    }

    private String describe(PreferenceTruncation truncation) {
        return truncation == PreferenceTruncation.DROP
                ? "chosen or rejected longer than max_length " + maxLength + ", as TRL's RewardTrainer"
                : "prompt alone fills max_length " + maxLength + ", as TRL's keep_start";
    }

    /** One row with keep_end truncation (never dropped). */
    public PreferencePair tokenize(Example example, String neededBy) {
        return tokenize(example, neededBy, PreferenceTruncation.KEEP_END);
    }

    /** One row, or null when {@code truncation} drops it. */
    public PreferencePair tokenize(Example example, String neededBy, PreferenceTruncation truncation) {
        if (!(example instanceof Example.Preference row)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s trains on preference rows {\"prompt\", \"chosen\", \"rejected\"}, found a %s row",
                    example.source(), neededBy, example.getClass().getSimpleName()));
        }
        long[] prompt = tokenizer.encode(row.prompt(), true);
        TokenizedExample chosen = sequence(prompt, row.chosen(), "chosen", row.source());
        TokenizedExample rejected = sequence(prompt, row.rejected(), "rejected", row.source());
        return switch (truncation) {
            case KEEP_END -> new PreferencePair(CompletionSequence.keepEnd(chosen, maxLength),
                    CompletionSequence.keepEnd(rejected, maxLength), row.source());
            case KEEP_START -> prompt.length >= maxLength ? null
                    : new PreferencePair(chosen.truncate(maxLength), rejected.truncate(maxLength), row.source());
            case DROP -> chosen.length() > maxLength || rejected.length() > maxLength ? null
                    : new PreferencePair(chosen, rejected, row.source());
        };
    }

    /** {@code prompt + completion + EOS}, untruncated; the prompt encoded once per row. */
    public TokenizedExample sequence(long[] prompt, String completionText, String key, Source source) {
        long[] completion = tokenizer.encode(completionText, false);
        if (completion.length == 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"%s\" is empty; a preference row needs a non-empty chosen and rejected completion",
                    source, key));
        }
        return CompletionSequence.of(prompt, completion, eos, 0, source);
    }

    public int maxLength() {
        return maxLength;
    }

    /** The prompt's ids with the tokenizer's special tokens (as every preference sequence starts). */
    public long[] encodePrompt(String prompt) {
        return tokenizer.encode(prompt, true);
    }
}
