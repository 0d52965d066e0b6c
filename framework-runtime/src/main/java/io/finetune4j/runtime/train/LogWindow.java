package io.finetune4j.runtime.train;

import java.util.LinkedHashMap;
import java.util.Map;

/** Sums over the micro-batches since the last logging step; {@link #drain} turns them into log values. */
final class LogWindow {
    private double lossSum;
    private int microBatches;
    private long tokens;
    private final Map<String, double[]> metricSums = new LinkedHashMap<>(); // name -> {sum, count}
    private long startNanos;

    LogWindow(long startNanos) {
        this.startNanos = startNanos;
    }

    void add(double loss, long microBatchTokens, Map<String, Double> metrics) {
        lossSum += loss;
        microBatches++;
        tokens += microBatchTokens;
        metrics.forEach((name, value) -> {
            double[] sum = metricSums.computeIfAbsent(name, key -> new double[2]);
            sum[0] += value;
            sum[1]++;
        });
    }

    /**
     * The window's values in log order ({@code loss}, {@code grad_norm}, {@code learning_rate},
     * {@code epoch}, {@code tokens_per_second}, then the objective's metrics averaged), and a new window.
     */
    Map<String, Double> drain(double learningRate, double gradNorm, double epoch, long nowNanos) {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("loss", microBatches == 0 ? Double.NaN : lossSum / microBatches);
        values.put("grad_norm", gradNorm);
        values.put("learning_rate", learningRate);
        values.put("epoch", epoch);
        double seconds = (nowNanos - startNanos) / 1e9;
        values.put("tokens_per_second", seconds > 0 ? tokens / seconds : 0.0);
        // The trainer's own names win over an objective metric of the same name.
        metricSums.forEach((name, sum) -> values.putIfAbsent(name, sum[0] / sum[1]));
        lossSum = 0;
        microBatches = 0;
        tokens = 0;
        metricSums.clear();
        startNanos = nowNanos;
        return values;
    }
}
