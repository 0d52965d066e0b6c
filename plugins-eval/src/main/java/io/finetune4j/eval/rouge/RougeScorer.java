package io.finetune4j.eval.rouge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures as Google's rouge-score package computes them
 * (rouge_score/tokenize.py, rouge_scorer.py): lower-case, every run of characters outside {@code [a-z0-9]}
 * becomes a space (so non-ASCII letters separate tokens and are dropped), split on spaces, optionally Porter-stem
 * tokens longer than three characters; n-gram F from clipped overlap counts, ROUGE-L F from the longest
 * common subsequence; ROUGE-Lsum (rouge-score's {@code rougeLsum}, {@code _summary_level_lcs}, Lin 2004 §3.2) splits
 * both texts into sentences on {@code "\n"}, drops empty lines, and counts for each reference sentence the union
 * of its LCS token positions with every predicted sentence, each token hit at most as often as it occurs in both
 * texts. With several references, each score is the one of the reference with the highest F-measure
 * (rouge-score's {@code score_multi}). Empty token lists score 0.
 */
public final class RougeScorer {
    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");

    private final boolean useStemmer;

    public RougeScorer(boolean useStemmer) {
        this.useStemmer = useStemmer;
    }

    /** F-measures {rouge1, rouge2, rougeL, rougeLsum} of a prediction against its references. */
    public double[] score(String prediction, List<String> references) {
        List<String> predicted = tokenize(prediction);
        List<List<String>> predictedSentences = sentences(prediction);
        double[] best = new double[4];
        for (String reference : references) {
            List<String> target = tokenize(reference);
            best[0] = Math.max(best[0], ngramF(target, predicted, 1));
            best[1] = Math.max(best[1], ngramF(target, predicted, 2));
            best[2] = Math.max(best[2], lcsF(target, predicted));
            best[3] = Math.max(best[3], summaryLcsF(sentences(reference), predictedSentences));
        }
        return best;
    }

    /** rouge-score's {@code get_sents}: split on newlines, drop empty lines, tokenise each. */
    List<List<String>> sentences(String text) {
        List<List<String>> sentences = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty()) {
                sentences.add(tokenize(line));
            }
        }
        return sentences;
    }

    /** rouge-score {@code _summary_level_lcs}: union LCS per reference sentence, hits capped by token counts. */
    static double summaryLcsF(List<List<String>> reference, List<List<String>> prediction) {
        int m = reference.stream().mapToInt(List::size).sum();
        int n = prediction.stream().mapToInt(List::size).sum();
        if (m == 0 || n == 0) {
            return 0;
        }
        Map<String, Integer> referenceCounts = new HashMap<>();
        Map<String, Integer> predictionCounts = new HashMap<>();
        reference.forEach(sentence -> sentence.forEach(t -> referenceCounts.merge(t, 1, Integer::sum)));
        prediction.forEach(sentence -> sentence.forEach(t -> predictionCounts.merge(t, 1, Integer::sum)));
        int hits = 0;
        for (List<String> sentence : reference) {
            java.util.TreeSet<Integer> union = new java.util.TreeSet<>();
            for (List<String> candidate : prediction) {
                union.addAll(lcsIndices(sentence, candidate));
            }
            for (int index : union) {
                String token = sentence.get(index);
                if (predictionCounts.getOrDefault(token, 0) > 0 && referenceCounts.getOrDefault(token, 0) > 0) {
                    hits++;
                    predictionCounts.merge(token, -1, Integer::sum);
                    referenceCounts.merge(token, -1, Integer::sum);
                }
            }
        }
        return fmeasure(hits / (double) n, hits / (double) m);
    }

    /**
     * Positions in {@code ref} of one longest common subsequence with {@code can}, read back from the full table
     * exactly as rouge-score's {@code _backtrack_norec} does (on a tie it steps back in {@code ref}).
     */
    static List<Integer> lcsIndices(List<String> ref, List<String> can) {
        int cols = can.size();
        // Two rows of the table plus one bit per cell, "t[i][j-1] > t[i-1][j]", the only thing backtracking
        // reads besides token equality: a long line costs |ref|·|can| bits, not ints.
        java.util.BitSet left = new java.util.BitSet();
        int[] previous = new int[cols + 1];
        int[] current = new int[cols + 1];
        for (int i = 1; i <= ref.size(); i++) {
            for (int j = 1; j <= cols; j++) {
                if (ref.get(i - 1).equals(can.get(j - 1))) {
                    current[j] = previous[j - 1] + 1;
                } else {
                    if (current[j - 1] > previous[j]) {
                        left.set((i - 1) * cols + (j - 1));
                    }
                    current[j] = Math.max(previous[j], current[j - 1]);
                }
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        List<Integer> indices = new ArrayList<>();
        int i = ref.size();
        int j = cols;
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(can.get(j - 1))) {
                indices.add(i - 1);
                i--;
                j--;
            } else if (left.get((i - 1) * cols + (j - 1))) {
                j--;
            } else {
                i--;
            }
        }
        java.util.Collections.reverse(indices);
        return indices;
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
