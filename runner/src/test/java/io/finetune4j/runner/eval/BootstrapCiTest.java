package io.finetune4j.runner.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.eval.Metric;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class BootstrapCiTest {
    private final BootstrapCi bootstrap = new BootstrapCi(1000, 0.95);

    @Test
    void constantMetricHasZeroWidth() {
        double[] scores = new double[50];
        Arrays.fill(scores, 0.7);

        Interval interval = bootstrap.interval(Metric.mean("accuracy", scores, true), 42);

        assertThat(interval.value()).isCloseTo(0.7, within(1e-12));
        assertThat(interval.low()).isEqualTo(interval.value());
        assertThat(interval.high()).isEqualTo(interval.value());
        assertThat(interval.width()).isZero();
        assertThat(interval.n()).isEqualTo(50);
    }

    @Test
    void intervalOfAMeanMatchesTheNormalApproximation() {
        // 400 Bernoulli(0.3) scores: the bootstrap distribution of the mean is close to normal with
        // standard error sd/sqrt(n), so the 95% interval is about mean ± 1.96 sd/sqrt(n).
        SplittableRandom random = new SplittableRandom(7);
        double[] scores = new double[400];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = random.nextDouble() < 0.3 ? 1 : 0;
        }
        double mean = Arrays.stream(scores).average().orElseThrow();
        double variance = Arrays.stream(scores).map(s -> (s - mean) * (s - mean)).sum() / scores.length;
        double halfWidth = 1.96 * Math.sqrt(variance / scores.length);

        Interval interval = bootstrap.interval(Metric.mean("accuracy", scores, true), 1);

        assertThat(interval.value()).isEqualTo(mean);
        assertThat(interval.low()).isCloseTo(mean - halfWidth, within(0.15 * halfWidth));
        assertThat(interval.high()).isCloseTo(mean + halfWidth, within(0.15 * halfWidth));
    }

    @Test
    void sameSeedGivesTheSameInterval() {
        double[] scores = {1, 0, 1, 1, 0, 0, 1, 0.5, 0.25, 1};
        Metric metric = Metric.mean("score", scores, true);

        assertThat(bootstrap.interval(metric, 3)).isEqualTo(bootstrap.interval(metric, 3));
        assertThat(bootstrap.interval(metric, 3)).isNotEqualTo(bootstrap.interval(metric, 4));
    }

    @Test
    void leavesOutResamplesWhereARatioIsUndefined() {
        // Example 0 has no tokens: a resample of only example 0 has no perplexity and is skipped.
        Metric perplexity = Metric.ratio("perplexity", new double[] {0, 2, 4}, new double[] {0, 1, 1},
                Math::exp, false);

        Interval interval = bootstrap.interval(perplexity, 9);

        assertThat(interval.value()).isCloseTo(Math.exp(3), within(1e-12));
        assertThat(interval.low()).isCloseTo(Math.exp(2), within(1e-9));
        assertThat(interval.high()).isCloseTo(Math.exp(4), within(1e-9));
    }

    @Test
    void metricWithoutExamplesHasNoInterval() {
        Interval interval = bootstrap.interval(Metric.ratio("empty", new double[0], new double[0],
                DoubleUnaryOperator.identity(), true), 1);

        assertThat(interval.n()).isZero();
        assertThat(interval.low()).isNaN();
        assertThat(interval.high()).isNaN();
    }
}
