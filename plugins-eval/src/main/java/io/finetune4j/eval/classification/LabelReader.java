package io.finetune4j.eval.classification;

import io.finetune4j.eval.exactmatch.SquadScores;
import java.util.List;

/**
 * Reads a label from generated text. Rule: both sides are normalised as SQuAD answers (lower-case, no
 * punctuation, no articles, single spaces); a text equal to a label is that label, otherwise the predicted
 * label is the first label of the configured list whose normalised form the normalised text starts with,
 * followed by a space (so "positive." and "Positive, clearly" read as {@code positive}, "positively" reads as
 * nothing, and with labels [not, not sure] the text "not sure" reads as {@code not sure}). No such label: -1.
 */
final class LabelReader {
    private final List<String> normalized;

    LabelReader(List<String> labels) {
        this.normalized = labels.stream().map(SquadScores::normalize).toList();
    }

    /** Index of the label in the configured list, or -1. */
    int read(String text) {
        String prediction = SquadScores.normalize(text);
        int exact = normalized.indexOf(prediction);
        if (exact >= 0) {
            return exact;
        }
        for (int i = 0; i < normalized.size(); i++) {
            String label = normalized.get(i);
            if (!label.isEmpty() && prediction.startsWith(label)
                    && (prediction.length() == label.length() || prediction.charAt(label.length()) == ' ')) {
                return i;
            }
        }
        return -1;
    }

    /** Index of an exact (normalised) label, or -1. */
    int exact(String text) {
        return normalized.indexOf(SquadScores.normalize(text));
    }
}
