package io.finetune4j.runner.report;

/**
 * The paired difference of one metric between two evaluations of the same examples ("after" minus
 * "before").
 *
 * @param delta {@code after.value() - before.value()}
 * @param ciLow lower bound of the 95% paired bootstrap interval of {@code delta}
 * @param ciHigh upper bound of that interval
 * @param pValue two-sided paired bootstrap p-value of {@code delta != 0}
 * @param wilcoxonPValue two-sided Wilcoxon signed-rank p-value of the per-example scores; NaN when the
 *     metric is not a mean of per-example scores
 * @param n number of paired examples
 * @param higherIsBetter the metric's better direction
 */
public record PairedComparison(double delta, double ciLow, double ciHigh, double pValue, double wilcoxonPValue,
                               int n, boolean higherIsBetter) {
    /** Level below which a p-value counts as significant. */
    public static final double ALPHA = 0.05;

    /** True when "after" moved in the metric's better direction and the bootstrap test is significant. */
    public boolean significantlyBetter() {
        return pValue < ALPHA && (higherIsBetter ? delta > 0 : delta < 0);
    }

    /** True when "after" moved in the metric's worse direction and the bootstrap test is significant. */
    public boolean significantlyWorse() {
        return pValue < ALPHA && (higherIsBetter ? delta < 0 : delta > 0);
    }
}
