package io.finetune4j.eval.meteor;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.eval.generation.GeneratingEvaluator;
import java.util.List;

/**
 * Creates the {@code meteor} evaluator: mean per-example METEOR (0-1) as HF evaluate's {@code meteor}: NLTK's
 * {@code word_tokenize}, then exact, Porter-stem and WordNet-synonym matching ({@link MeteorScorer}).
 */
public final class MeteorEvaluatorProvider implements EvaluatorProvider<MeteorConfig> {
    @Override public String id() { return "meteor"; }

    /** Scores (prediction, reference) rows in {@code ft4j metrics}. */
    @Override public List<String> predictionMetricNames() { return List.of("meteor"); }

    @Override public String description() { return "METEOR (HF evaluate / NLTK: exact, stem and WordNet synonym matches), 0-1"; }

    @Override public MeteorConfig defaults() { return MeteorConfig.defaults(); }

    @Override
    public void validate(MeteorConfig config, ConfigProblems problems) {
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(MeteorConfig config) {
        return new GeneratingEvaluator(id(), config.generation(), MeteorEvaluatorProvider::score);
    }

    static List<Metric> score(List<Prediction> predictions) {
        double[] scores = predictions.stream()
                .mapToDouble(p -> MeteorScorer.score(p.prediction(), p.references()))
                .toArray();
        return List.of(Metric.mean("meteor", scores, true));
    }
}
