package io.finetune4j.eval.bleu;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.eval.generation.GeneratingEvaluator;
import java.util.List;

/** Creates the {@code bleu} evaluator: sacreBLEU-compatible corpus BLEU of generations or given predictions. */
public final class BleuEvaluatorProvider implements EvaluatorProvider<BleuConfig> {
    @Override public String id() { return "bleu"; }

    /** Scores (prediction, reference) rows in {@code ft4j metrics}. */
    @Override public List<String> predictionMetricNames() { return List.of("bleu"); }

    @Override public String description() { return "Corpus BLEU (sacreBLEU defaults: 13a, 4-grams, exp smoothing), 0-100"; }

    @Override public BleuConfig defaults() { return BleuConfig.defaults(); }

    @Override
    public void validate(BleuConfig config, ConfigProblems problems) {
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(BleuConfig config) {
        return new GeneratingEvaluator(id(), config.generation(), BleuEvaluator::score);
    }
}
