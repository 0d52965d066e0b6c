package io.finetune4j.eval.rouge;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.eval.generation.GeneratingEvaluator;
import java.util.List;

/**
 * Creates the {@code rouge} evaluator: metrics named as HF evaluate's {@code rouge} (v0.4, default
 * {@code rouge_types}): {@code rouge1}, {@code rouge2}, {@code rougeL}, {@code rougeLsum}, each the mean over
 * examples of rouge-score's F-measure (0-1).
 */
public final class RougeEvaluatorProvider implements EvaluatorProvider<RougeConfig> {
    /** HF evaluate's rouge keys, in the order of {@link RougeScorer#score}. */
    static final List<String> METRICS = List.of("rouge1", "rouge2", "rougeL", "rougeLsum");

    @Override public String id() { return "rouge"; }

    /** Scores (prediction, reference) rows in {@code ft4j metrics}. */
    @Override public List<String> predictionMetricNames() { return List.of("rouge"); }

    @Override public String description() { return "ROUGE-1/2/L/Lsum F-measure (rouge-score semantics), 0-1"; }

    @Override public RougeConfig defaults() { return RougeConfig.defaults(); }

    @Override
    public void validate(RougeConfig config, ConfigProblems problems) {
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(RougeConfig config) {
        RougeScorer scorer = new RougeScorer(config.useStemmer());
        return new GeneratingEvaluator(id(), config.generation(), predictions -> score(scorer, predictions));
    }

    static List<Metric> score(RougeScorer scorer, List<Prediction> predictions) {
        double[][] perType = new double[METRICS.size()][predictions.size()];
        for (int i = 0; i < predictions.size(); i++) {
            double[] scores = scorer.score(predictions.get(i).prediction(), predictions.get(i).references());
            for (int t = 0; t < METRICS.size(); t++) {
                perType[t][i] = scores[t];
            }
        }
        List<Metric> metrics = new java.util.ArrayList<>();
        for (int t = 0; t < METRICS.size(); t++) {
            metrics.add(Metric.mean(METRICS.get(t), perType[t], true));
        }
        return List.copyOf(metrics);
    }
}
