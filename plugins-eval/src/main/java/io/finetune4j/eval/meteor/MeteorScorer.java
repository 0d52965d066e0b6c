package io.finetune4j.eval.meteor;

import io.finetune4j.eval.rouge.PorterStemmer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * METEOR as HF evaluate's {@code meteor} computes it: NLTK's {@code meteor_score} (nltk/translate/meteor_score.py)
 * on {@code word_tokenize}d texts ({@link NltkWordTokenizer}), each token lower-cased (NLTK's {@code preprocess}).
 * Words are aligned in three stages, exact, then Porter stem (NLTK_EXTENSIONS mode), then WordNet synonym
 * ({@link WordNetSynonyms}; as in NLTK this stage looks up the stems the second stage left unmatched), each stage
 * pairing words greedily from the end as NLTK's {@code _match_enums} does; then precision P and recall R over matches,
 * {@code Fmean = P·R / (α·P + (1-α)·R)}, {@code penalty = γ·(chunks / matches)^β} with α 0.9, β 3, γ 0.5,
 * and {@code score = (1 - penalty)·Fmean}. With several references the best score counts; no match (or an
 * empty side) scores 0.
 */
public final class MeteorScorer {
    static final double ALPHA = 0.9;
    static final double BETA = 3;
    static final double GAMMA = 0.5;

    private MeteorScorer() {}

    public static double score(String prediction, List<String> references) {
        double best = 0;
        for (String reference : references) {
            best = Math.max(best, single(words(prediction), words(reference)));
        }
        return best;
    }

    static List<String> words(String text) {
        return NltkWordTokenizer.tokenize(text).stream().map(token -> token.toLowerCase(Locale.ROOT)).toList();
    }

    static double single(List<String> hypothesis, List<String> reference) {
        if (hypothesis.isEmpty() || reference.isEmpty()) {
            return 0;
        }
        List<int[]> matches = align(hypothesis, reference);
        if (matches.isEmpty()) {
            return 0;
        }
        double precision = matches.size() / (double) hypothesis.size();
        double recall = matches.size() / (double) reference.size();
        double fmean = precision * recall / (ALPHA * precision + (1 - ALPHA) * recall);
        double fragmentation = chunks(matches) / (double) matches.size();
        double penalty = GAMMA * Math.pow(fragmentation, BETA);
        return (1 - penalty) * fmean;
    }

    /** (hypothesis index, reference index) pairs, sorted by hypothesis index. */
    static List<int[]> align(List<String> hypothesis, List<String> reference) {
        List<Entry> hyp = new ArrayList<>();
        for (int i = 0; i < hypothesis.size(); i++) {
            hyp.add(new Entry(i, hypothesis.get(i)));
        }
        List<Entry> ref = new ArrayList<>();
        for (int j = 0; j < reference.size(); j++) {
            ref.add(new Entry(j, reference.get(j)));
        }
        List<int[]> matches = new ArrayList<>(matchFromEnd(hyp, ref));
        List<Entry> hypStems = new ArrayList<>(hyp.stream()
                .map(e -> new Entry(e.index(), PorterStemmer.stem(e.word()))).toList());
        List<Entry> refStems = new ArrayList<>(ref.stream()
                .map(e -> new Entry(e.index(), PorterStemmer.stem(e.word()))).toList());
        matches.addAll(matchFromEnd(hypStems, refStems));
        matches.addAll(matchSynonyms(hypStems, refStems));
        matches.sort(Comparator.comparingInt(pair -> pair[0]));
        return matches;
    }

    /**
     * NLTK's {@code _match_enums}: for each hypothesis word from the last, the last equal unmatched reference
     * word; both are removed from the lists.
     */
    private static List<int[]> matchFromEnd(List<Entry> hyp, List<Entry> ref) {
        List<int[]> matches = new ArrayList<>();
        for (int i = hyp.size() - 1; i >= 0; i--) {
            for (int j = ref.size() - 1; j >= 0; j--) {
                if (hyp.get(i).word().equals(ref.get(j).word())) {
                    matches.add(new int[] {hyp.get(i).index(), ref.get(j).index()});
                    hyp.remove(i);
                    ref.remove(j);
                    break;
                }
            }
        }
        return matches;
    }

    /**
     * NLTK's {@code _enum_wordnetsyn_match}: for each hypothesis word from the last, the last unmatched reference
     * word among its WordNet synonyms (or equal to it).
     */
    private static List<int[]> matchSynonyms(List<Entry> hyp, List<Entry> ref) {
        List<int[]> matches = new ArrayList<>();
        for (int i = hyp.size() - 1; i >= 0; i--) {
            Set<String> synonyms = WordNetSynonyms.of(hyp.get(i).word());
            for (int j = ref.size() - 1; j >= 0; j--) {
                if (synonyms.contains(ref.get(j).word())) {
                    matches.add(new int[] {hyp.get(i).index(), ref.get(j).index()});
                    hyp.remove(i);
                    ref.remove(j);
                    break;
                }
            }
        }
        return matches;
    }

    /** Runs of matches adjacent in both texts (NLTK's {@code _count_chunks}). */
    static int chunks(List<int[]> matches) {
        int chunks = 1;
        for (int i = 0; i < matches.size() - 1; i++) {
            boolean adjacent = matches.get(i + 1)[0] == matches.get(i)[0] + 1
                    && matches.get(i + 1)[1] == matches.get(i)[1] + 1;
            if (!adjacent) {
                chunks++;
            }
        }
        return chunks;
    }

    private record Entry(int index, String word) {}
}
