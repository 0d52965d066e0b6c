package io.finetune4j.runner.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;

/**
 * Every number the runner shows or writes: three significant digits on the terminal and in the report, and
 * the one JSON shape of an interval ({@code value, ci_low, ci_high[, n]}, non-finite numbers {@code null})
 * in {@code metrics.json}, {@code eval.jsonl}, {@code ft4j eval --json} and {@code ft4j metrics --json}.
 */
public final class Numbers {
    private Numbers() {}

    /** Three significant digits, never in exponent form and never rounding away integer digits; NaN is {@code n/a}. */
    public static String number(double value) {
        if (!Double.isFinite(value)) {
            return Double.isNaN(value) ? "n/a" : value > 0 ? "inf" : "-inf";
        }
        if (value == 0) {
            return "0";
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(3, RoundingMode.HALF_EVEN));
        if (rounded.scale() < 0) {
            rounded = new BigDecimal(value).setScale(0, RoundingMode.HALF_EVEN);
        }
        return rounded.toPlainString();
    }

    /** Four decimals, for aligned tables of values in [0, 1] ({@code ft4j metrics}); NaN is {@code n/a}. */
    public static String fixed4(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4f", value) : "n/a";
    }

    /** {@code 41.2 [39.8, 42.7]}. */
    public static String interval(Interval interval) {
        return number(interval.value()) + " [" + number(interval.low()) + ", " + number(interval.high()) + "]";
    }

    /** {@link #number} with a {@code +} on positive values. */
    public static String signed(double value) {
        return value > 0 ? "+" + number(value) : number(value);
    }

    /** {@code p<0.001}, or two significant digits: {@code p=0.032}. */
    public static String p(double p) {
        if (Double.isNaN(p)) {
            return "n/a";
        }
        if (p < 0.001) {
            return "p<0.001";
        }
        if (p <= 0.001 + 1e-12) {
            return "p≤0.001"; // the floor of 1000 resamples: no resample went the other way
        }
        return "p=" + new BigDecimal(p).round(new MathContext(2, RoundingMode.HALF_EVEN)).toPlainString();
    }

    /**
     * Relative change from {@code before} to {@code after} in percent, e.g. {@code -70%} ({@code -7.3%} below
     * ten percent, or always one decimal with {@code oneDecimal}); empty when undefined.
     */
    public static String change(double before, double after, boolean oneDecimal) {
        if (before == 0 || !Double.isFinite(before) || !Double.isFinite(after)) {
            return "";
        }
        double percent = (after - before) / Math.abs(before) * 100;
        return String.format(Locale.ROOT, oneDecimal || Math.abs(percent) < 10 ? "%+.1f%%" : "%+.0f%%", percent);
    }

    /** {@code value} for JSON: null unless finite. */
    public static Double finiteOrNull(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /** Puts {@code value}, {@code ci_low}, {@code ci_high} and, with {@code withCount}, {@code n} into {@code json}. */
    public static void putInterval(Map<String, Object> json, Interval interval, boolean withCount) {
        json.put("value", finiteOrNull(interval.value()));
        json.put("ci_low", finiteOrNull(interval.low()));
        json.put("ci_high", finiteOrNull(interval.high()));
        if (withCount) {
            json.put("n", interval.n());
        }
    }
}
