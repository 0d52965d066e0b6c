package io.finetune4j.eval.bleu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BleuScoreTest {
    private static List<Prediction> predictions(List<String> hypotheses, List<List<String>> references) {
        List<Prediction> rows = new ArrayList<>();
        for (int i = 0; i < hypotheses.size(); i++) {
            rows.add(new Prediction(hypotheses.get(i), references.get(i), new Source("p.jsonl", i + 1)));
        }
        return rows;
    }

    private static double corpus(List<String> hypotheses, List<List<String>> references) {
        Metric bleu = BleuEvaluator.score(predictions(hypotheses, references)).get(0);
        assertThat(bleu.name()).isEqualTo("bleu");
        return bleu.value();
    }

    @Test
    void identicalCorpusScores100() {
        assertThat(corpus(List.of("The cat sat on the mat.", "A dog barked loudly at night."),
                List.of(List.of("The cat sat on the mat."), List.of("A dog barked loudly at night."))))
                .isCloseTo(100.0, within(1e-9));
    }

    /**
     * sacreBLEU's README example (test/test_bleu.py, test_corpus_bleu_cases): two reference streams, default
     * settings, expected 48.530827; and the same references with empty hypotheses score 0.0.
     */
    @Test
    void matchesSacreBleuReadmeExampleWithTwoReferences() {
        List<List<String>> refs = List.of(
                List.of("The dog bit the man.", "The dog had bit the man."),
                List.of("It was not unexpected.", "No one was surprised."),
                List.of("The man bit him first.", "The man had bitten the dog."));

        assertThat(corpus(List.of("The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."), refs))
                .isCloseTo(48.530827, within(1e-6));
        assertThat(corpus(List.of("", "", ""), refs)).isEqualTo(0.0);
    }

    /** sacreBLEU test_bleu.py test_case_statistics: counts [4, 2, 1, 0], totals [6, 5, 4, 3]. */
    @Test
    void ngramStatisticsMatchSacreBleuTestCase() {
        BleuStatistics s = BleuStatistics.of("am I am a character sequence", List.of("I am a symbol string sequence a a"));

        assertThat(s.correct()).containsExactly(4, 2, 1, 0);
        assertThat(s.total()).containsExactly(6, 5, 4, 3);
        assertThat(s.hypothesisLength()).isEqualTo(6);
        assertThat(s.referenceLength()).isEqualTo(8);
    }

    /** sacreBLEU test_bleu.py test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397 (x100). */
    @Test
    void computeMatchesSacreBleuScoringCase() {
        assertThat(BleuScore.compute(new int[] {9, 7, 5, 3}, new int[] {10, 8, 6, 4}, 11, 11, false))
                .isCloseTo(83.75922397, within(1e-7));
    }

    /**
     * "the cat sat on mat" vs "the cat sat on the mat": 1-grams 5/5, 2-grams 3/4 (on mat misses), 3-grams 2/3,
     * 4-grams 1/2; geometric mean (1 * 3/4 * 2/3 * 1/2)^(1/4) = 0.25^(1/4); brevity exp(1 - 6/5).
     */
    @Test
    void handComputedCaseWithBrevityPenalty() {
        double expected = 100 * Math.exp(1 - 6.0 / 5) * Math.pow(0.25, 0.25);

        assertThat(corpus(List.of("the cat sat on mat"), List.of(List.of("the cat sat on the mat"))))
                .isCloseTo(expected, within(1e-9));
    }

    /**
     * "a b c d" vs "a b x d": 1-grams 3/4, 2-grams 1/3, 3-grams 0/2 -> exp smoothing 1/(2*2), 4-grams 0/1 ->
     * 1/(4*1); BLEU = (3/4 * 1/3 * 1/4 * 1/4)^(1/4) = 0.015625^(1/4).
     */
    @Test
    void exponentialSmoothingOfOrdersWithoutMatches() {
        assertThat(corpus(List.of("a b c d"), List.of(List.of("a b x d"))))
                .isCloseTo(100 * Math.pow(0.015625, 0.25), within(1e-9));
    }

    /**
     * Nothing in common: exp smoothing alone would give (1/8 * 1/12 * 1/16 * 1/16)^(1/4) > 0, but sacreBLEU stops
     * early with 0 when no n-gram of any order matches (test_bleu.py: "This now returns 0.0 score (#141)").
     */
    @Test
    void noMatchAtAllScoresZero() {
        assertThat(corpus(List.of("a b c d"), List.of(List.of("w x y z")))).isEqualTo(0.0);
        assertThat(BleuScore.sentence("a b c d", List.of("w x y z"))).isEqualTo(0.0);
    }

    @Test
    void closestReferenceLengthPrefersTheShorterOnTies() {
        assertThat(BleuStatistics.closest(5, new int[] {7, 3, 9})).isEqualTo(3);
        assertThat(BleuStatistics.closest(5, new int[] {6, 4})).isEqualTo(4);
        assertThat(BleuStatistics.closest(5, new int[] {})).isZero();
    }

    /** A two-word hypothesis has no 3-gram: corpus BLEU is 0, sentence BLEU (effective order 2) is 100. */
    @Test
    void sentenceBleuUsesEffectiveOrder() {
        assertThat(BleuScore.sentence("the cat", List.of("the cat"))).isCloseTo(100.0, within(1e-9));
        assertThat(corpus(List.of("the cat"), List.of(List.of("the cat")))).isEqualTo(0.0);
    }

    @Test
    void resampleRecomputesCorpusBleuFromTheChosenExamples() {
        List<String> hyps = List.of("the cat sat on mat", "a b c d", "completely different words here now");
        List<List<String>> refs = List.of(List.of("the cat sat on the mat"), List.of("a b x d"),
                List.of("nothing in common at all"));
        Metric bleu = BleuEvaluator.score(predictions(hyps, refs)).get(0);

        assertThat(bleu.size()).isEqualTo(3);
        assertThat(bleu.valueOn(new int[] {1})).isCloseTo(corpus(List.of("a b c d"), List.of(List.of("a b x d"))),
                within(1e-12));
        // a resample with a repeat is the corpus with that segment twice
        assertThat(bleu.valueOn(new int[] {0, 0, 1}))
                .isCloseTo(corpus(List.of(hyps.get(0), hyps.get(0), hyps.get(1)), List.of(refs.get(0), refs.get(0), refs.get(1))),
                        within(1e-12));
    }

    @Test
    void edgeCasesGiveDefinedValues() {
        assertThat(corpus(List.of(""), List.of(List.of("")))).isEqualTo(0.0);
        assertThat(corpus(List.of("x"), List.of(List.of("")))).isEqualTo(0.0);
        assertThat(corpus(List.of("Größe über alles — 東京 は 大きい"), List.of(List.of("Größe über alles — 東京 は 大きい"))))
                .isCloseTo(100.0, within(1e-9));
        String longText = "word ".repeat(20_000);
        assertThat(corpus(List.of(longText), List.of(List.of("word word")))).isBetween(0.0, 100.0);
        assertThat(BleuEvaluator.score(List.of()).get(0).value()).isEqualTo(0.0);
    }
}
