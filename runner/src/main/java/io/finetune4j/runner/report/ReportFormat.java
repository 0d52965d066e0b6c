package io.finetune4j.runner.report;

import io.finetune4j.runner.eval.Interval;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/** Numbers as the report prints them. */
final class ReportFormat {
    private ReportFormat() {}

    /** Three significant digits, never in exponent form and never rounding away integer digits. */
    static String number(double value) {
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

    static String interval(Interval interval) {
        return number(interval.value()) + " [" + number(interval.low()) + ", " + number(interval.high()) + "]";
    }

    static String signed(double value) {
        return value > 0 ? "+" + number(value) : number(value);
    }

    /** {@code p<0.001}, or two significant digits: {@code p=0.032}. */
    static String p(double p) {
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
     * Generated text for a table cell: control characters (a random model emits any byte) shown as
     * {@code U+FFFD}, and a continuation that stopped at end-of-sequence marked {@code ⟨eos⟩}.
     */
    static String sample(SampleGeneration sample) {
        String text = sample.output().replaceAll("[\\p{Cc}&&[^\\n]]", "\uFFFD");
        return "eos".equals(sample.stopReason()) ? text + " ⟨eos⟩" : text;
    }

    /** Relative change from {@code before} to {@code after}, e.g. {@code -70%}; empty when undefined. */
    static String change(double before, double after) {
        if (before == 0 || !Double.isFinite(before) || !Double.isFinite(after)) {
            return "";
        }
        double percent = (after - before) / Math.abs(before) * 100;
        return String.format(Locale.ROOT, Math.abs(percent) >= 10 ? "%+.0f%%" : "%+.1f%%", percent);
    }
}
