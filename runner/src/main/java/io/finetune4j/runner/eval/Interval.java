package io.finetune4j.runner.eval;

/**
 * A metric's value on all examples with its bootstrap confidence interval.
 *
 * @param n number of examples
 */
public record Interval(double value, double low, double high, int n) {
    public double width() {
        return high - low;
    }
}
