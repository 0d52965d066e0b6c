package io.finetune4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final double NEG = Double.NEGATIVE_INFINITY;

    @Test
    void topKKeepsTiesWithTheKthValue() {
        double[] scores = {1, 3, 2, 3, 0};
        Sampler.topK(scores, 2);
        assertThat(scores).containsExactly(NEG, 3, NEG, 3, NEG);
        double[] tied = {1, 3, 2, 2, 0};
        Sampler.topK(tied, 2);
        assertThat(tied).containsExactly(NEG, 3, 2, 2, NEG);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] probs = {0.5, 0.3, 0.15, 0.05};
        double[] scores = logs(probs);
        Sampler.topP(scores, 0.75); // ascending cumulative 0.05, 0.2, 0.5, 1: drop those <= 0.25
        assertThat(scores[0]).isFinite();
        assertThat(scores[1]).isFinite();
        assertThat(scores[2]).isEqualTo(NEG);
        assertThat(scores[3]).isEqualTo(NEG);
        double[] wider = logs(probs);
        Sampler.topP(wider, 0.85); // drop only the 0.05 token (0.2 > 0.15)
        assertThat(wider[2]).isFinite();
        assertThat(wider[3]).isEqualTo(NEG);
    }

    @Test
    void topPAlwaysKeepsTheMostLikelyToken() {
        double[] scores = logs(new double[] {0.1, 0.9});
        Sampler.topP(scores, 1e-9);
        assertThat(scores[0]).isEqualTo(NEG);
        assertThat(scores[1]).isFinite();
    }

    @Test
    void samplesFollowTheTemperedSoftmax() {
        float[] logits = {0f, 1f, 2f, -1f};
        double temperature = 2.0;
        Sampler sampler = new Sampler(new GenerationConfig(1, temperature, 0, 1, 3));
        int draws = 40_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[(int) sampler.next(logits)]++;
        }
        double sum = 0;
        for (float logit : logits) {
            sum += Math.exp(logit / temperature);
        }
        for (int i = 0; i < logits.length; i++) {
            double expected = Math.exp(logits[i] / temperature) / sum;
            assertThat(counts[i] / (double) draws).isCloseTo(expected, within(0.01));
        }
    }

    @Test
    void greedyTakesTheFirstLargest() {
        assertThat(Sampler.argmax(new float[] {1, 5, 5, 2})).isEqualTo(1);
    }

    private static double[] logs(double[] probs) {
        double[] scores = new double[probs.length];
        for (int i = 0; i < probs.length; i++) {
            scores[i] = Math.log(probs[i]);
        }
        return scores;
    }
}
