package io.finetune4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.model.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenScorerTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void logProbsAreTheLogSoftmaxOfTheFullLogitsAtTheNextToken(String kind) {
        long[] ids = {3, 17, 5, 9, 30, 1};
        try (CausalLM model = TestModels.named(kind, 41)) {
            double[] scores = TokenScorer.logProbs(model, ids);
            float[][] logits = TestModels.logits(model, ids);
            assertThat(scores).hasSize(ids.length);
            assertThat(scores[0]).isNaN();
            for (int i = 1; i < ids.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (float logit : logits[i - 1]) {
                    max = Math.max(max, logit);
                }
                double sum = 0;
                for (float logit : logits[i - 1]) {
                    sum += Math.exp(logit - max);
                }
                double expected = logits[i - 1][(int) ids[i]] - max - Math.log(sum);
                assertThat(scores[i]).isCloseTo(expected, within(1e-5));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void aSingleTokenHasNoScore(String kind) {
        try (CausalLM model = TestModels.named(kind, 42)) {
            assertThat(TokenScorer.logProbs(model, new long[] {4})).hasSize(1).satisfies(s -> assertThat(s[0]).isNaN());
            assertThat(TokenScorer.logProbs(model, new long[0])).isEmpty();
        }
    }
}
