package io.finetune4j.runner.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Formats a stage's evaluation for the terminal, one line per metric:
 * {@code perplexity [heldout.jsonl]: 41.2 [39.8, 42.7] -> 12.3 [11.9, 12.8] (-70.1%)}.
 */
public final class MetricLines {
    private MetricLines() {}

    /** Lines for every metric measured before and/or after, matched by evaluator index and metric name. */
    public static List<String> lines(List<EvaluatorResult> before, List<EvaluatorResult> after) {
        Map<String, MetricResult[]> pairs = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        collect(before, pairs, labels, 0);
        collect(after, pairs, labels, 1);
        List<String> lines = new ArrayList<>();
        pairs.forEach((key, pair) -> lines.add(line(labels.get(key), pair[0], pair[1])));
        return lines;
    }

    private static void collect(List<EvaluatorResult> results, Map<String, MetricResult[]> pairs,
                                Map<String, String> labels, int slot) {
        for (EvaluatorResult result : results) {
            for (MetricResult metric : result.metrics()) {
                String key = result.index() + "/" + metric.name();
                pairs.computeIfAbsent(key, k -> new MetricResult[2])[slot] = metric;
                labels.put(key, result.data() == null ? metric.name()
                        : metric.name() + " [" + result.data().getFileName() + "]");
            }
        }
    }

    static String line(String label, MetricResult before, MetricResult after) {
        StringBuilder text = new StringBuilder(label).append(": ");
        if (before != null) {
            text.append(Numbers.interval(before.interval()));
        }
        if (before != null && after != null) {
            text.append(" -> ");
        }
        if (after != null) {
            text.append(Numbers.interval(after.interval()));
        }
        String change = before == null || after == null ? ""
                : Numbers.change(before.interval().value(), after.interval().value(), true);
        if (!change.isEmpty()) {
            text.append(" (").append(change).append(")");
        } else if (after == null) {
            text.append(" (before training)");
        }
        return text.toString();
    }

}
