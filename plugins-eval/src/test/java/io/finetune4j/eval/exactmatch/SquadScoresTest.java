package io.finetune4j.eval.exactmatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SquadScoresTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "The Cat, sat!|cat sat",
            "An apple a day|apple day",
            "  Hello   World  |hello world",
            "theater and another|theater and another",
            "U.S.A.|usa",
            "Café au lait|café au lait",
            "the|''"})
    void normalisesAsSquadV11(String text, String expected) {
        assertThat(SquadScores.normalize(text)).isEqualTo(expected);
    }

    @Test
    void exactMatchIsTheBestOverReferences() {
        assertThat(SquadScores.exactMatch("the Eiffel Tower!", List.of("Paris", "Eiffel tower"))).isEqualTo(1);
        assertThat(SquadScores.exactMatch("Eiffel", List.of("Eiffel tower"))).isZero();
    }

    /** "the cat sat" vs "cat sat on mat": tokens [cat, sat] vs [cat, sat, on, mat]; P 1, R 1/2, F1 2/3. */
    @Test
    void f1OnNormalisedTokens() {
        assertThat(SquadScores.f1("the cat sat", List.of("cat sat on mat"))).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(SquadScores.f1("cat cat", List.of("cat"))).isCloseTo(2 * 0.5 / 1.5, within(1e-12));
        assertThat(SquadScores.f1("dog", List.of("cat", "dog house"))).isCloseTo(2 * 0.5 / 1.5, within(1e-12));
    }

    /** v1.1's f1_score returns 0 when nothing is in common, even for two empty answers; EM calls them equal. */
    @Test
    void emptyAnswersFollowV11() {
        assertThat(SquadScores.f1("the", List.of("a"))).isZero();
        assertThat(SquadScores.exactMatch("the", List.of("a"))).isEqualTo(1);
        assertThat(SquadScores.f1("", List.of("x"))).isZero();
    }

    @Test
    void metricsAreReportedTimes100() {
        List<Prediction> predictions = List.of(
                new Prediction("Paris", List.of("paris"), new Source("p", 1)),
                new Prediction("the cat sat", List.of("cat sat on mat"), new Source("p", 2)));

        Metric em = ExactMatchEvaluatorProvider.score(predictions).get(0);
        Metric f1 = F1EvaluatorProvider.score(predictions).get(0);

        assertThat(em.name()).isEqualTo("exact_match");
        assertThat(em.value()).isCloseTo(50.0, within(1e-12));
        assertThat(f1.name()).isEqualTo("f1");
        assertThat(f1.value()).isCloseTo(100 * (1 + 2.0 / 3) / 2, within(1e-12));
    }
}
