package io.finetune4j.eval.bleu;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One segment's BLEU sufficient statistics, as sacreBLEU's {@code _extract_corpus_statistics}: hypothesis
 * length, the closest reference length (ties go to the shorter), and per n-gram order the clipped matches
 * (against the maximum count of each n-gram over the references) and the hypothesis n-gram total.
 */
public record BleuStatistics(int hypothesisLength, int referenceLength, int[] correct, int[] total) {
    public static final int MAX_ORDER = 4;

    /** Statistics of a hypothesis against its references, all tokenized with 13a (case kept). */
    public static BleuStatistics of(String hypothesis, List<String> references) {
        // sacreBLEU strips trailing whitespace before tokenizing.
        List<String> hyp = Tokenizer13a.split(Tokenizer13a.tokenize(hypothesis.stripTrailing()));
        Map<List<String>, Integer> maxRefCounts = new HashMap<>();
        int[] refLengths = new int[references.size()];
        for (int r = 0; r < references.size(); r++) {
            List<String> ref = Tokenizer13a.split(Tokenizer13a.tokenize(references.get(r).stripTrailing()));
            refLengths[r] = ref.size();
            ngrams(ref).forEach((gram, count) -> maxRefCounts.merge(gram, count, Math::max));
        }
        int[] correct = new int[MAX_ORDER];
        int[] total = new int[MAX_ORDER];
        for (Map.Entry<List<String>, Integer> entry : ngrams(hyp).entrySet()) {
            int order = entry.getKey().size() - 1;
            total[order] += entry.getValue();
            correct[order] += Math.min(entry.getValue(), maxRefCounts.getOrDefault(entry.getKey(), 0));
        }
        return new BleuStatistics(hyp.size(), closest(hyp.size(), refLengths), correct, total);
    }

    /** sacreBLEU's {@code _get_closest_ref_len}; 0 when there is no reference. */
    static int closest(int hypothesisLength, int[] referenceLengths) {
        int best = -1;
        int bestDiff = -1;
        for (int length : referenceLengths) {
            int diff = Math.abs(hypothesisLength - length);
            if (bestDiff == -1 || diff < bestDiff || (diff == bestDiff && length < best)) {
                bestDiff = diff;
                best = length;
            }
        }
        return Math.max(best, 0);
    }

    /** Counts of every n-gram of orders 1..4. */
    static Map<List<String>, Integer> ngrams(List<String> tokens) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int n = 1; n <= MAX_ORDER; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
            }
        }
        return counts;
    }
}
