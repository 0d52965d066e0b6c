package io.finetune4j.runner.config;

import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;

/** "Did you mean" hints for misspelt keys and ids. */
public final class Suggestions {
    private Suggestions() {}

    /**
     * The known word closest to {@code word}, if it is close enough to be a plausible typo: at most a
     * third of the word's length (and at least 1) edits, counting a swap of two neighbours as one edit.
     */
    public static Optional<String> closest(String word, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(known)) {
            int distance = distance(word, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        int allowed = Math.max(1, Math.min(word.length(), best == null ? 0 : best.length()) / 3);
        return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** {@code ; did you mean 'x'?} or an empty string. */
    public static String didYouMean(String word, Collection<String> known) {
        return closest(word, known).map(match -> "; did you mean '" + match + "'?").orElse("");
    }

    /**
     * Optimal string alignment distance: Levenshtein's insertions, deletions and substitutions plus
     * transpositions of adjacent characters ({@code alhpa} is one edit from {@code alpha}).
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
