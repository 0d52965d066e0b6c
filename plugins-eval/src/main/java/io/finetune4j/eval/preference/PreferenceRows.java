package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import java.util.List;
import java.util.Locale;

/**
 * The rows preference evaluators accept, checked before any model work with the offending row's
 * file:line: preference pairs ({@code prompt}, {@code chosen}, {@code rejected}) for scoring evaluators,
 * rows with a {@code prompt} for generating ones. Also the check for a required path setting.
 */
public final class PreferenceRows {
    private PreferenceRows() {}

    /** The rows as preference pairs, or a ConfigException naming the first other row and the missing keys. */
    public static List<Example.Preference> requirePairs(Dataset data, String evaluatorId) {
        requireRows(data, evaluatorId);
        for (Example example : data.examples()) {
            if (!(example instanceof Example.Preference)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: %s needs preference rows {\"prompt\", \"chosen\", \"rejected\"}; this %s row has no"
                                + " \"chosen\"/\"rejected\"", example.source(), evaluatorId, kind(example)));
            }
        }
        return data.examples().stream().map(Example.Preference.class::cast).toList();
    }

    /**
     * The prompt of every row: prompt-only, prompt/completion, preference and labelled rows all carry one
     * (their answers are ignored); text and conversation rows are rejected with their file:line.
     */
    public static List<String> requirePrompts(Dataset data, String evaluatorId) {
        requireRows(data, evaluatorId);
        for (Example example : data.examples()) {
            if (example instanceof Example.Text || example instanceof Example.Conversation) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: %s needs rows with a \"prompt\" to answer, found a %s row", example.source(),
                        evaluatorId, kind(example)));
            }
        }
        return data.examples().stream().map(PreferenceRows::promptOf).toList();
    }

    /** A ConfigException naming {@code key} when a required path setting was left empty. */
    public static void requirePath(String value, String evaluatorId, String key, String what) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s: missing; give %s (a directory, or stage:NAME for an earlier stage's output)",
                    evaluatorId, key, what));
        }
    }

    private static void requireRows(Dataset data, String evaluatorId) {
        if (data.examples().isEmpty()) {
            throw new ConfigException(data.name() + ": " + evaluatorId + " has no rows to evaluate");
        }
    }

    private static String promptOf(Example example) {
        if (example instanceof Example.PromptOnly row) {
            return row.prompt();
        }
        if (example instanceof Example.PromptCompletion row) {
            return row.prompt();
        }
        if (example instanceof Example.Preference row) {
            return row.prompt();
        }
        if (example instanceof Example.Labelled row) {
            return row.prompt();
        }
        throw new IllegalArgumentException("unchecked row kind " + kind(example));
    }

    private static String kind(Example example) {
        if (example instanceof Example.Text) {
            return "text";
        }
        if (example instanceof Example.PromptCompletion) {
            return "prompt/completion";
        }
        if (example instanceof Example.Conversation) {
            return "conversation (messages)";
        }
        if (example instanceof Example.Preference) {
            return "preference";
        }
        if (example instanceof Example.PromptOnly) {
            return "prompt-only";
        }
        return "labelled";
    }
}
