package io.finetune4j.eval.rouge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F-measures as Google's rouge-score package computes them
 * (rouge_score/tokenize.py, rouge_scorer.py): lower-case, every run of characters outside {@code [a-z0-9]}
 * becomes a space (so non-ASCII letters separate tokens and are dropped), split on spaces, optionally Porter-stem
 * tokens longer than three characters; n-gram F from clipped overlap counts, ROUGE-L F from the longest
 * common subsequence. With several references, each score is the one of the reference with the highest
 * F-measure (rouge-score's {@code score_multi}). Empty token lists score 0.
 */
public final class RougeScorer {
    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");

    private final boolean useStemmer;

    public RougeScorer(boolean useStemmer) {
        this.useStemmer = useStemmer;
    }

    /** F-measures {rouge-1, rouge-2, rouge-l} of a prediction against its references. */
    public double[] score(String prediction, List<String> references) {
        List<String> predicted = tokenize(prediction);
        double[] best = new double[3];
        for (String reference : references) {
            List<String> target = tokenize(reference);
            best[0] = Math.max(best[0], ngramF(target, predicted, 1));
            best[1] = Math.max(best[1], ngramF(target, predicted, 2));
            best[2] = Math.max(best[2], lcsF(target, predicted));
        }
        return best;
    }

    public List<String> tokenize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        String spaced = NON_ALPHANUMERIC.matcher(lower).replaceAll(" ");
        List<String> tokens = new ArrayList<>();
        for (String token : spaced.split(" ")) {
            if (token.isEmpty()) {
                continue;
            }
            tokens.add(useStemmer && token.length() > 3 ? PorterStemmer.stem(token) : token);
        }
        return tokens;
    }

    static double ngramF(List<String> target, List<String> prediction, int n) {
        Map<List<String>, Integer> targetCounts = ngrams(target, n);
        Map<List<String>, Integer> predictionCounts = ngrams(prediction, n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> entry : targetCounts.entrySet()) {
            overlap += Math.min(entry.getValue(), predictionCounts.getOrDefault(entry.getKey(), 0));
        }
        int targetTotal = targetCounts.values().stream().mapToInt(Integer::intValue).sum();
        int predictionTotal = predictionCounts.values().stream().mapToInt(Integer::intValue).sum();
        double precision = overlap / (double) Math.max(predictionTotal, 1);
        double recall = overlap / (double) Math.max(targetTotal, 1);
        return fmeasure(precision, recall);
    }

    static double lcsF(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) {
            return 0;
        }
        int lcs = lcsLength(target, prediction);
        return fmeasure(lcs / (double) prediction.size(), lcs / (double) target.size());
    }

    /** Dynamic programming over two rows, O(|a|·|b|) time and O(|b|) memory, so long outputs stay cheap. */
    static int lcsLength(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = a.get(i - 1).equals(b.get(j - 1))
                        ? previous[j - 1] + 1
                        : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    static double fmeasure(double precision, double recall) {
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }
}
