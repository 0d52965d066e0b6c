package io.finetune4j.eval.exactmatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD v1.1's answer normalisation and scores (evaluate-v1.1.py): lower-case, drop ASCII punctuation
 * ({@code string.punctuation}), drop the articles a, an, the as whole words, collapse whitespace. Exact
 * match is 1 when the normalised texts are equal; F1 is over normalised tokens (bag overlap), 0 when either
 * side has no token unless both are equal. Both take the maximum over references.
 */
public final class SquadScores {
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private SquadScores() {}

    public static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder kept = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                kept.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(kept).replaceAll(" ");
        return String.join(" ", tokens(noArticles));
    }

    public static double exactMatch(String prediction, List<String> references) {
        String normalized = normalize(prediction);
        for (String reference : references) {
            if (normalized.equals(normalize(reference))) {
                return 1;
            }
        }
        return 0;
    }

    public static double f1(String prediction, List<String> references) {
        double best = 0;
        for (String reference : references) {
            best = Math.max(best, f1(prediction, reference));
        }
        return best;
    }

    static double f1(String prediction, String reference) {
        List<String> predicted = tokens(normalize(prediction));
        List<String> truth = tokens(normalize(reference));
        Map<String, Integer> truthCounts = new HashMap<>();
        truth.forEach(token -> truthCounts.merge(token, 1, Integer::sum));
        int common = 0;
        for (String token : predicted) {
            Integer left = truthCounts.get(token);
            if (left != null && left > 0) {
                common++;
                truthCounts.put(token, left - 1);
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = common / (double) predicted.size();
        double recall = common / (double) truth.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Python's {@code str.split()} on the already lower-cased text. */
    static List<String> tokens(CharSequence text) {
        List<String> tokens = new ArrayList<>();
        for (String token : text.toString().split("[\\s\\u00a0\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+")) {
            if (!token.isEmpty()) {
                tokens.add(token);
            }
        }
        return tokens;
    }
}
