package io.finetune4j.eval.meteor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeteorScorerTest {
    /** P = R = 1, one chunk of 6 matches: (1 - 0.5 * (1/6)^3) * 1 = 0.99768518..., NLTK's value for identical text. */
    @Test
    void identicalSentence() {
        assertThat(MeteorScorer.score("the cat sat on the mat", List.of("the cat sat on the mat")))
                .isCloseTo(1 - 0.5 * Math.pow(1.0 / 6, 3), within(1e-12));
    }

    /** "cats" matches "cat" in the stem stage: 3 matches in one chunk, penalty 0.5 * (1/3)^3. */
    @Test
    void stemStageMatchesInflections() {
        assertThat(MeteorScorer.score("The cats sat", List.of("the cat sat")))
                .isCloseTo(1 - 0.5 / 27, within(1e-12));
    }

    /**
     * Hypothesis "on the mat the cat sat" against "the cat sat on the mat": NLTK's greedy matching from the end
     * pairs (hyp, ref) = (5,2) sat, (4,1) cat, (3,4) the, (2,5) mat, (1,0) the, (0,3) on; sorted by hypothesis
     * that is 5 chunks (only cat-sat stay adjacent), so P = R = 1 and score = 1 - 0.5 * (5/6)^3.
     */
    @Test
    void reorderingIsPenalisedByChunksOfTheGreedyAlignment() {
        assertThat(MeteorScorer.align(MeteorScorer.words("on the mat the cat sat"),
                MeteorScorer.words("the cat sat on the mat")))
                .containsExactly(new int[] {0, 3}, new int[] {1, 0}, new int[] {2, 5}, new int[] {3, 4},
                        new int[] {4, 1}, new int[] {5, 2});
        assertThat(MeteorScorer.score("on the mat the cat sat", List.of("the cat sat on the mat")))
                .isCloseTo(1 - 0.5 * Math.pow(5.0 / 6, 3), within(1e-12));
    }

    /**
     * "the cat" vs "the cat sat on the mat": 2 matches, P = 1, R = 2/6; Fmean = P*R / (0.9 P + 0.1 R). Matching
     * from the end pairs hyp "the" with the reference's last "the" (index 4), so the matches (0,4), (1,1) form
     * 2 chunks: penalty 0.5 * (2/2)^3.
     */
    @Test
    void fmeanWeightsRecallNineTimesPrecision() {
        double p = 1;
        double r = 2.0 / 6;
        double fmean = p * r / (0.9 * p + 0.1 * r);

        assertThat(MeteorScorer.score("the cat", List.of("the cat sat on the mat")))
                .isCloseTo((1 - 0.5) * fmean, within(1e-12));
    }

    @Test
    void edgeCasesScoreZeroOrTheBestReference() {
        assertThat(MeteorScorer.score("", List.of("a b"))).isZero();
        assertThat(MeteorScorer.score("a b", List.of(""))).isZero();
        assertThat(MeteorScorer.score("x y", List.of("a b"))).isZero();
        assertThat(MeteorScorer.score("the cat", List.of("dog", "the cat"))).isCloseTo(1 - 0.5 * 0.125, within(1e-12));
        assertThat(MeteorScorer.score("東京 über", List.of("東京 Über"))).isCloseTo(1 - 0.5 * 0.125, within(1e-12));
    }

    /**
     * WordNet stage: "car" and "auto" share the synset {car, auto, automobile, machine, motorcar}; both are their
     * own Porter stems, so NLTK's synonym stage (which sees the stems) pairs them: 2 matches in one chunk,
     * score 1 - 0.5 * (1/2)^3.
     */
    @Test
    void synonymStageMatchesWordNetSynonyms() {
        assertThat(MeteorScorer.score("the car", List.of("the auto"))).isCloseTo(1 - 0.5 / 8, within(1e-12));
        assertThat(MeteorScorer.score("the car", List.of("the dog"))).isCloseTo((1 - 0.5) * 0.5 * 0.5
                / (0.9 * 0.5 + 0.1 * 0.5), within(1e-12));
    }

    /** The word_tokenize doctest of nltk/tokenize/__init__.py. */
    @Test
    void tokenisesAsNltkWordTokenize() {
        assertThat(NltkWordTokenizer.tokenize("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks."))
                .containsExactly("Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".", "Please", "buy", "me",
                        "two", "of", "them", ".", "Thanks", ".");
        assertThat(NltkWordTokenizer.tokenize("They'll say \"I don't know,\" cannot they?"))
                .containsExactly("They", "'ll", "say", "``", "I", "do", "n't", "know", ",", "''", "can", "not", "they", "?");
    }

    /** NLTK's meteor_score doctest (tokenised inputs, NLTK >= 3.6.5): 0.6944 with WordNet 3.0. */
    @Test
    void nltkDoctestSentence() {
        double score = MeteorScorer.score(
                "It is a guide to action which ensures that the military always obeys the commands of the party",
                List.of("It is a guide to action that ensures that the military will forever heed Party commands"));
        assertThat(score).isCloseTo(0.6944, within(5e-5));
    }
}
