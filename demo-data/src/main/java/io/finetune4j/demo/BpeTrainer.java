package io.finetune4j.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns byte-level BPE merges from text, the way GPT-2's tokenizer was trained: pre-tokenize with GPT-2's
 * regex ({@link ByteLevel}), start from single bytes, and repeatedly merge the adjacent pair that occurs
 * most often (weighted by how often each piece occurs) until {@code merges} merges are learned or no pair
 * occurs {@code minFrequency} times. Ties go to the pair whose left, then right, symbol sorts first
 * (Java string order of the byte-level spelling), so training is deterministic. Merges never cross
 * pre-token boundaries.
 *
 * <p>Each round recounts every pair over the distinct pieces; that is quadratic in the number of merges
 * but takes well under a second for the demo corpus, whose distinct pieces number in the hundreds.
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /**
     * The learned merges in order, each as {@code "left right"} in byte-level spelling ({@code "Ġ c"}), the
     * format of {@code merges.txt} and of {@code tokenizer.json}'s {@code model.merges}.
     */
    public static List<String> train(Iterable<String> texts, int merges, int minFrequency) {
        if (merges < 0 || minFrequency < 1) {
            throw new IllegalArgumentException("merges must be >= 0 and minFrequency >= 1");
        }
        Map<String, Long> pieceCounts = new LinkedHashMap<>();
        for (String text : texts) {
            for (String piece : ByteLevel.preTokenize(text)) {
                pieceCounts.merge(piece, 1L, Long::sum);
            }
        }
        List<List<String>> words = new ArrayList<>();
        long[] counts = new long[pieceCounts.size()];
        int index = 0;
        for (Map.Entry<String, Long> entry : pieceCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            entry.getKey().codePoints().forEach(c -> symbols.add(new String(Character.toChars(c))));
            words.add(symbols);
            counts[index++] = entry.getValue();
        }

        List<String> learned = new ArrayList<>();
        while (learned.size() < merges) {
            Pair best = mostFrequentPair(words, counts, minFrequency);
            if (best == null) {
                break;
            }
            learned.add(best.left() + " " + best.right());
            for (List<String> word : words) {
                applyMerge(word, best.left(), best.right());
            }
        }
        return learned;
    }

    /** Replaces each occurrence of {@code left right} in {@code symbols}, scanning left to right. */
    static void applyMerge(List<String> symbols, String left, String right) {
        for (int i = 0; i < symbols.size() - 1; i++) {
            if (symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                symbols.set(i, left + right);
                symbols.remove(i + 1);
            }
        }
    }

    private static Pair mostFrequentPair(List<List<String>> words, long[] counts, int minFrequency) {
        Map<Pair, Long> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            List<String> symbols = words.get(w);
            for (int i = 0; i < symbols.size() - 1; i++) {
                pairCounts.merge(new Pair(symbols.get(i), symbols.get(i + 1)), counts[w], Long::sum);
            }
        }
        Pair best = null;
        long bestCount = 0;
        for (Map.Entry<Pair, Long> entry : pairCounts.entrySet()) {
            long count = entry.getValue();
            Pair pair = entry.getKey();
            if (count > bestCount || (count == bestCount && pair.compareTo(best) < 0)) {
                best = pair;
                bestCount = count;
            }
        }
        return bestCount >= minFrequency ? best : null;
    }

    private record Pair(String left, String right) implements Comparable<Pair> {
        @Override
        public int compareTo(Pair other) {
            int byLeft = left.compareTo(other.left);
            return byLeft != 0 ? byLeft : right.compareTo(other.right);
        }
    }
}
