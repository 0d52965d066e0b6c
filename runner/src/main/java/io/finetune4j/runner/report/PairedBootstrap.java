package io.finetune4j.runner.report;

import io.finetune4j.api.eval.Metric;
import java.util.Arrays;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;
import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;

/**
 * Paired significance test of two evaluations of the same examples (Koehn, "Statistical Significance
 * Tests for Machine Translation Evaluation", 2004; Berg-Kirkpatrick et al. 2012): every resample draws
 * one set of example indices and recomputes both metrics on it, so the per-example correlation between
 * the two systems cancels out of {@code Δ = after(idx) - before(idx)}.
 *
 * <p>The interval is the percentile interval of the resampled Δ. The two-sided p-value is twice the
 * fraction of resampled Δ that do not share the observed Δ's sign (a resample with Δ = 0 counts against
 * the observed direction, which keeps the test conservative on small discrete metrics), floored at
 * {@code 1/B} and capped at 1; an observed Δ of 0 gives p = 1.
 *
 * <p>For metrics that are a plain mean of per-example scores (accuracy, exact match), the Wilcoxon
 * signed-rank test of the per-example scores is added (commons-math; exact for n ≤ 30, normal
 * approximation above). A metric counts as a mean when its value on all examples equals the mean of its
 * one-example values {@code valueOn(new int[] {i})}; ratio metrics such as perplexity do not.
 */
public final class PairedBootstrap {
    private static final int EXACT_WILCOXON_LIMIT = 30;

    private final int resamples;
    private final double confidence;

    public PairedBootstrap(int resamples, double confidence) {
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be >= 1, was " + resamples);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), was " + confidence);
        }
        this.resamples = resamples;
        this.confidence = confidence;
    }

    /** Compares {@code after} with {@code before}; both must have been measured on the same examples. */
    public PairedComparison compare(Metric before, Metric after, long seed) {
        int n = before.size();
        if (after.size() != n) {
            throw new IllegalArgumentException(String.format("metric '%s' has %d examples before and %d after",
                    before.name(), n, after.size()));
        }
        double observed = after.value() - before.value();
        double wilcoxon = wilcoxon(before, after);
        if (n == 0 || Double.isNaN(observed)) {
            return new PairedComparison(observed, Double.NaN, Double.NaN, Double.NaN, wilcoxon, n,
                    after.higherIsBetter());
        }
        RandomGenerator random = new Well19937c(seed);
        double[] deltas = new double[resamples];
        int kept = 0;
        int against = 0;
        int[] indices = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                indices[i] = random.nextInt(n);
            }
            double delta = after.valueOn(indices) - before.valueOn(indices);
            // A ratio metric can be undefined on a resample (all denominators zero); leave those out.
            if (Double.isNaN(delta)) {
                continue;
            }
            deltas[kept++] = delta;
            if (observed > 0 ? delta <= 0 : delta >= 0) {
                against++;
            }
        }
        if (kept == 0) {
            return new PairedComparison(observed, Double.NaN, Double.NaN, Double.NaN, wilcoxon, n,
                    after.higherIsBetter());
        }
        Percentile percentile = new Percentile().withEstimationType(EstimationType.R_7);
        percentile.setData(Arrays.copyOf(deltas, kept));
        double tail = (1 - confidence) / 2 * 100;
        double p = observed == 0 ? 1.0 : Math.min(1.0, Math.max(1.0 / kept, 2.0 * against / kept));
        return new PairedComparison(observed, percentile.evaluate(tail), percentile.evaluate(100 - tail), p,
                wilcoxon, n, after.higherIsBetter());
    }

    /** Two-sided Wilcoxon signed-rank p-value of the per-example scores, or NaN for non-mean metrics. */
    static double wilcoxon(Metric before, Metric after) {
        double[] x = perExample(before);
        double[] y = perExample(after);
        if (x == null || y == null || x.length < 1) {
            return Double.NaN;
        }
        boolean anyDifference = false;
        for (int i = 0; i < x.length; i++) {
            anyDifference |= x[i] != y[i];
        }
        if (!anyDifference) {
            return 1.0; // commons-math divides by a zero variance here; identical scores cannot differ.
        }
        return new WilcoxonSignedRankTest().wilcoxonSignedRankTest(x, y, x.length <= EXACT_WILCOXON_LIMIT);
    }

    /** The per-example scores when {@code metric} is their plain mean, else null. */
    static double[] perExample(Metric metric) {
        int n = metric.size();
        double[] scores = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            scores[i] = metric.valueOn(new int[] {i});
            if (!Double.isFinite(scores[i])) {
                return null;
            }
            sum += scores[i];
        }
        double value = metric.value();
        double mean = sum / n;
        return Math.abs(value - mean) <= 1e-9 * Math.max(1, Math.abs(mean)) ? scores : null;
    }

    public int resamples() {
        return resamples;
    }

    public double confidence() {
        return confidence;
    }
}
