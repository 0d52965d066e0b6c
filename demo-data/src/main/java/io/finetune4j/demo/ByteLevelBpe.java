package io.finetune4j.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies learned byte-level BPE merges to text, as GPT-2's {@code encoder.py} does: within each
 * pre-token, repeatedly merge every occurrence of the adjacent pair with the lowest merge rank. An
 * independent reference for the tokenizer files {@link DemoTokenizer} writes.
 */
final class ByteLevelBpe {
    private final Map<String, Integer> ranks = new HashMap<>();

    ByteLevelBpe(List<String> merges) {
        for (int i = 0; i < merges.size(); i++) {
            ranks.putIfAbsent(merges.get(i), i);
        }
    }

    /** The tokens of {@code text}, in byte-level spelling. */
    List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        for (String piece : ByteLevel.preTokenize(text)) {
            tokens.addAll(encodePiece(piece));
        }
        return tokens;
    }

    /** Text of {@code tokens}. */
    static String decode(List<String> tokens) {
        return ByteLevel.unspell(String.join("", tokens));
    }

    private List<String> encodePiece(String piece) {
        List<String> symbols = new ArrayList<>();
        piece.codePoints().forEach(c -> symbols.add(new String(Character.toChars(c))));
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            for (int i = 0; i < symbols.size() - 1; i++) {
                Integer rank = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                break;
            }
            BpeTrainer.applyMerge(symbols, symbols.get(bestAt), symbols.get(bestAt + 1));
        }
        return symbols;
    }
}
