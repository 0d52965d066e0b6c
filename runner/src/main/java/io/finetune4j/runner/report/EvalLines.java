package io.finetune4j.runner.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.eval.Interval;
import io.finetune4j.runner.eval.Numbers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <run>/eval.jsonl}: one JSON object per stage × evaluator × metric × point ({@code before},
 * {@code after}), with stable keys: {@code stage, evaluator, evaluator_index, data, metric, when, value,
 * ci_low, ci_high, n, higher_is_better}, and on {@code after} lines of a metric also measured before:
 * {@code delta, delta_ci} ({@code [low, high]}), {@code p_value} (paired bootstrap) and
 * {@code wilcoxon_p_value} (null unless the metric is a mean of per-example scores). Non-finite numbers
 * are {@code null}.
 */
public final class EvalLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvalLines() {}

    public static List<String> lines(List<MetricRow> rows) {
        List<String> lines = new ArrayList<>();
        for (MetricRow row : rows) {
            row.before().ifPresent(interval -> lines.add(line(row, "before", interval, Optional.empty())));
            row.after().ifPresent(interval -> lines.add(line(row, "after", interval, row.comparison())));
        }
        return lines;
    }

    private static String line(MetricRow row, String when, Interval interval, Optional<PairedComparison> paired) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("stage", row.stage());
        line.put("evaluator", row.evaluatorId());
        line.put("evaluator_index", row.evaluatorIndex());
        line.put("data", row.data().toString());
        line.put("metric", row.metric());
        line.put("when", when);
        Numbers.putInterval(line, interval, true);
        line.put("higher_is_better", row.higherIsBetter());
        paired.ifPresent(comparison -> {
            line.put("delta", Numbers.finiteOrNull(comparison.delta()));
            line.put("delta_ci", java.util.Arrays.asList(Numbers.finiteOrNull(comparison.ciLow()), Numbers.finiteOrNull(comparison.ciHigh())));
            line.put("p_value", Numbers.finiteOrNull(comparison.pValue()));
            line.put("wilcoxon_p_value", Numbers.finiteOrNull(comparison.wilcoxonPValue()));
            line.put("significantly_better", comparison.significantlyBetter());
        });
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + line, e);
        }
    }
}
