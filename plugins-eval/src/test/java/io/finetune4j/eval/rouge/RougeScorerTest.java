package io.finetune4j.eval.rouge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.List;
import org.junit.jupiter.api.Test;

class RougeScorerTest {
    private static final RougeScorer PLAIN = new RougeScorer(false);
    private static final RougeScorer STEMMED = new RougeScorer(true);

    // rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (google-research rouge_scorer_test.py).
    private static final String TARGET_0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing "
            + "Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
    private static final String TARGET_1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing "
            + "sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing "
            + "UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
    private static final String PREDICTION_0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl "
            + "jB-RPP'iyOIcUxi";
    private static final String PREDICTION_1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed "
            + "HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";

    /** rouge_scorer_test.py testRouge1, testRouge2, testRougeLConsecutive, testRougeLNonConsecutive, testRougeEmpty. */
    @Test
    void matchesRougeScoreUnitTests() {
        assertThat(PLAIN.score("testing", List.of("testing one two"))[0]).isCloseTo(0.5, within(1e-12));
        assertThat(PLAIN.score("testing one", List.of("testing one two"))[1]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(PLAIN.score("testing one", List.of("testing one two"))[2]).isCloseTo(0.8, within(1e-12));
        assertThat(PLAIN.score("testing two", List.of("testing one two"))[2]).isCloseTo(0.8, within(1e-12));
        assertThat(PLAIN.score("", List.of("testing one two"))).containsExactly(0, 0, 0, 0);
    }

    /** rouge_scorer_test.py testRouge{1,2,L}AgainstRouge155[WithStemming]: F-measures to 5 places. */
    @Test
    void matchesRougeScoreAgainstRouge155() {
        double[] first = PLAIN.score(PREDICTION_0, List.of(TARGET_0));
        double[] second = PLAIN.score(PREDICTION_1, List.of(TARGET_1));
        assertThat(first[0]).isCloseTo(0.51163, within(5e-6));
        assertThat(first[1]).isCloseTo(0.39024, within(5e-6));
        assertThat(first[2]).isCloseTo(0.51163, within(5e-6));
        assertThat(second[0]).isCloseTo(0.50000, within(5e-6));
        assertThat(second[1]).isCloseTo(0.36364, within(5e-6));
        assertThat(second[2]).isCloseTo(0.50000, within(5e-6));

        assertThat(STEMMED.score(PREDICTION_0, List.of(TARGET_0))[0]).isCloseTo(0.51163, within(5e-6));
        assertThat(STEMMED.score(PREDICTION_1, List.of(TARGET_1))[0]).isCloseTo(0.52941, within(5e-6));
        assertThat(STEMMED.score(PREDICTION_1, List.of(TARGET_1))[1]).isCloseTo(0.36364, within(5e-6));
    }

    /**
     * "the cat lay on the mat" vs "the cat sat on the mat": 1-gram overlap 5 of 6 -> F 5/6; 2-grams 3 of 5
     * (the cat, on the, the mat) -> 3/5; LCS "the cat on the mat" = 5 -> 5/6.
     */
    @Test
    void handComputedNgramAndLcsScores() {
        double[] scores = PLAIN.score("the cat lay on the mat", List.of("the cat sat on the mat"));

        assertThat(scores[0]).isCloseTo(5.0 / 6, within(1e-12));
        assertThat(scores[1]).isCloseTo(3.0 / 5, within(1e-12));
        assertThat(scores[2]).isCloseTo(5.0 / 6, within(1e-12));
    }

    @Test
    void rougeLOfASentenceWithItselfIsOne() {
        assertThat(PLAIN.score("A sentence, compared with itself.", List.of("A sentence, compared with itself.")))
                .containsExactly(1, 1, 1, 1);
    }

    @Test
    void tokenizesAsRougeScoreLowercaseAlphanumericOnly() {
        assertThat(PLAIN.tokenize("Hello, WORLD! Ça va? x2")).containsExactly("hello", "world", "a", "va", "x2");
        assertThat(STEMMED.tokenize("running dogs ran")).containsExactly("run", "dog", "ran");
    }

    @Test
    void stemmerMatchesInflectedForms() {
        assertThat(PLAIN.score("running dogs", List.of("run dog"))[0]).isZero();
        assertThat(STEMMED.score("running dogs", List.of("run dog"))[0]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void multipleReferencesTakeTheBestFmeasurePerType() {
        double[] scores = PLAIN.score("the cat", List.of("a dog", "the cat", "cat the"));

        assertThat(scores).containsExactly(1, 1, 1, 1);
    }

    @Test
    void metricsAreMeansOfPerExampleF() {
        List<Metric> metrics = RougeEvaluatorProvider.score(PLAIN, List.of(
                new Prediction("testing", List.of("testing one two"), new Source("p", 1)),
                new Prediction("x", List.of("x"), new Source("p", 2))));

        assertThat(metrics).extracting(Metric::name).containsExactly("rouge1", "rouge2", "rougeL", "rougeLsum");
        assertThat(metrics.get(0).value()).isCloseTo((0.5 + 1) / 2, within(1e-12));
        assertThat(metrics.get(0).valueOn(new int[] {0, 0})).isCloseTo(0.5, within(1e-12));
    }

    /**
     * rouge-score rouge_scorer.py {@code _summary_level_lcs}, by hand: reference lines [a b c], [d e], predicted
     * lines [a c d], [b e]. Line 1's LCS with [a c d] is {a, c}, with [b e] {b}: union 3 hits; line 2's are {d},
     * {e}: 2 hits; 5 of 5 tokens both ways, F = 1. Unsplit, the LCS of "a b c d e" and "a c d b e" is 4: rougeL 0.8.
     */
    @Test
    void rougeLsumIsTheSummaryLevelUnionLcsOverNewlineSplitSentences() {
        double[] scores = PLAIN.score("a c d\nb e", List.of("a b c\nd e"));

        assertThat(scores[2]).isCloseTo(0.8, within(1e-12));
        assertThat(scores[3]).isCloseTo(1.0, within(1e-12));
    }

    /** Reference "a b", prediction lines "a b" twice: union hits 2 (capped by the reference counts), P 2/4, R 1. */
    @Test
    void rougeLsumCountsEachTokenAtMostAsOftenAsItOccurs() {
        assertThat(PLAIN.score("a b\n\na b", List.of("a b"))[3]).isCloseTo(2 * 0.5 / 1.5, within(1e-12));
    }

    /** {@code _backtrack_norec}: on a tie it steps back in the reference, so [a b] vs [b a] keeps position 0. */
    @Test
    void lcsPositionsBreakTiesAsRougeScore() {
        assertThat(RougeScorer.lcsIndices(List.of("a", "b"), List.of("b", "a"))).containsExactly(0);
        assertThat(RougeScorer.lcsIndices(List.of("a", "b", "c"), List.of("a", "c", "d"))).containsExactly(0, 2);
    }

    @Test
    void longOutputsAreScoredWithoutBlowingUp() {
        String text = "alpha beta gamma ".repeat(3000);

        assertThat(PLAIN.score(text, List.of(text))[2]).isCloseTo(1.0, within(1e-12));
    }
}
