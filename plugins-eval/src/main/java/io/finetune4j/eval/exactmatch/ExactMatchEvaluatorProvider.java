package io.finetune4j.eval.exactmatch;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.eval.generation.GeneratingEvaluator;
import java.util.List;

/**
 * Creates the {@code exact-match} evaluator: metric {@code exact_match}, the mean over examples of SQuAD v1.1's score
 * (best over references), reported ×100 as the official SQuAD script does.
 */
public final class ExactMatchEvaluatorProvider implements EvaluatorProvider<SquadConfig> {
    @Override public String id() { return "exact-match"; }

    /** Scores (prediction, reference) rows in {@code ft4j metrics}. */
    @Override public List<String> predictionMetricNames() { return List.of("exact_match"); }

    @Override public String description() { return "Exact match after SQuAD v1.1 normalisation, 0-100"; }

    @Override public SquadConfig defaults() { return SquadConfig.defaults(); }

    @Override
    public void validate(SquadConfig config, ConfigProblems problems) {
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(SquadConfig config) {
        return new GeneratingEvaluator(id(), config.generation(), ExactMatchEvaluatorProvider::score);
    }

    static List<Metric> score(List<Prediction> predictions) {
        double[] scores = predictions.stream()
                .mapToDouble(p -> 100 * SquadScores.exactMatch(p.prediction(), p.references()))
                .toArray();
        return List.of(Metric.mean("exact_match", scores, true));
    }
}
