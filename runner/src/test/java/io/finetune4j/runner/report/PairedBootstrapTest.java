package io.finetune4j.runner.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.eval.Metric;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedBootstrapTest {
    private final PairedBootstrap paired = new PairedBootstrap(1000, 0.95);

    @Test
    void identicalSystemsAreNotSignificantAndTheirDeltaIntervalIsZero() {
        double[] scores = {0, 1, 1, 0, 1, 0.5, 0.25, 1, 0, 1};
        Metric before = Metric.mean("accuracy", scores, true);
        Metric after = Metric.mean("accuracy", scores.clone(), true);

        PairedComparison comparison = paired.compare(before, after, 7);

        assertThat(comparison.delta()).isZero();
        assertThat(comparison.ciLow()).isZero();
        assertThat(comparison.ciHigh()).isZero();
        assertThat(comparison.pValue()).isEqualTo(1.0);
        assertThat(comparison.wilcoxonPValue()).isEqualTo(1.0);
        assertThat(comparison.significantlyBetter()).isFalse();
        assertThat(comparison.significantlyWorse()).isFalse();
    }

    @Test
    void aClearlyBetterSystemIsSignificantWithTheFloorPValue() {
        Random random = new Random(1);
        double[] before = new double[40];
        double[] after = new double[40];
        for (int i = 0; i < 40; i++) {
            before[i] = random.nextDouble() * 0.3;
            after[i] = before[i] + 0.4 + random.nextDouble() * 0.2; // every example improves by 0.4-0.6
        }

        PairedComparison comparison = paired.compare(Metric.mean("score", before, true),
                Metric.mean("score", after, true), 11);

        assertThat(comparison.delta()).isCloseTo(mean(after) - mean(before), within(1e-12));
        assertThat(comparison.ciLow()).isGreaterThan(0.4);
        assertThat(comparison.ciHigh()).isLessThan(0.6);
        // No resample can have the opposite sign: p is floored at 1/B.
        assertThat(comparison.pValue()).isEqualTo(1.0 / 1000);
        assertThat(comparison.wilcoxonPValue()).isLessThan(1e-6);
        assertThat(comparison.significantlyBetter()).isTrue();
        assertThat(comparison.n()).isEqualTo(40);
    }

    @Test
    void lowerIsBetterRatioMetricCountsADropAsBetterAndHasNoWilcoxon() {
        // Perplexity-like: exp(Σ nll / Σ tokens). Not a mean of per-example values, so no Wilcoxon.
        double[] tokens = {3, 5, 2, 7, 4, 6, 3, 5, 4, 6, 2, 3};
        double[] nllBefore = new double[tokens.length];
        double[] nllAfter = new double[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            nllBefore[i] = tokens[i] * (3.0 + 0.1 * (i % 3));
            nllAfter[i] = tokens[i] * (1.0 + 0.1 * (i % 4));
        }
        Metric before = Metric.ratio("perplexity", nllBefore, tokens, Math::exp, false);
        Metric after = Metric.ratio("perplexity", nllAfter, tokens, Math::exp, false);

        PairedComparison comparison = paired.compare(before, after, 5);

        assertThat(comparison.delta()).isNegative();
        assertThat(comparison.ciHigh()).isNegative();
        assertThat(comparison.significantlyBetter()).isTrue();
        assertThat(comparison.wilcoxonPValue()).isNaN();
    }

    @Test
    void aSmallNoisyDifferenceIsNotSignificant() {
        double[] before = {1, 0, 1, 0, 1, 0, 1, 0};
        double[] after = {1, 0, 1, 0, 1, 0, 1, 1};

        PairedComparison comparison = paired.compare(Metric.mean("accuracy", before, true),
                Metric.mean("accuracy", after, true), 3);

        assertThat(comparison.delta()).isEqualTo(0.125);
        assertThat(comparison.ciLow()).isZero();
        assertThat(comparison.pValue()).isGreaterThan(0.05);
        assertThat(comparison.significantlyBetter()).isFalse();
    }

    @Test
    void wilcoxonMatchesAHandComputedExactPValue() {
        // Differences after - before: 1.5, -0.5, 2, 3, 2.5, 1; ranks of |d|: 3, 1, 4, 6, 5, 2.
        // W+ = 20, W- = 1. Under H0 each of the 2^6 sign patterns is equally likely; rank sums >= 20 are
        // {1..6} (21) and {2..6} (20): two-sided p = 2 * 2/64 = 0.0625.
        double[] before = {1, 2, 0, 1, 0.5, 3};
        double[] after = {2.5, 1.5, 2, 4, 3, 4};

        double p = PairedBootstrap.wilcoxon(Metric.mean("s", before, true), Metric.mean("s", after, true));

        assertThat(p).isCloseTo(0.0625, within(1e-12));
        assertThat(p).isCloseTo(exactSignedRank(new int[] {3, 1, 4, 6, 5, 2}, new boolean[] {true, false, true,
                true, true, true}), within(1e-12));
    }

    /** Two-sided exact p by enumerating every sign pattern of the ranks (plain Java, no commons-math). */
    private static double exactSignedRank(int[] ranks, boolean[] positive) {
        int wPlus = 0;
        int total = Arrays.stream(ranks).sum();
        for (int i = 0; i < ranks.length; i++) {
            wPlus += positive[i] ? ranks[i] : 0;
        }
        int observed = Math.max(wPlus, total - wPlus);
        int atLeast = 0;
        for (int mask = 0; mask < 1 << ranks.length; mask++) {
            int sum = 0;
            for (int i = 0; i < ranks.length; i++) {
                sum += (mask >> i & 1) == 1 ? ranks[i] : 0;
            }
            atLeast += sum >= observed ? 1 : 0;
        }
        return Math.min(1.0, 2.0 * atLeast / (1 << ranks.length));
    }

    @Test
    void sameSeedGivesTheSameComparison() {
        double[] before = {0.2, 0.4, 0.1, 0.9, 0.3, 0.5};
        double[] after = {0.3, 0.35, 0.4, 0.95, 0.2, 0.7};
        Metric b = Metric.mean("m", before, true);
        Metric a = Metric.mean("m", after, true);

        assertThat(paired.compare(b, a, 42)).isEqualTo(paired.compare(b, a, 42));
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElseThrow();
    }
}
