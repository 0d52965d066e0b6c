package io.finetune4j.api.eval;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.Stable;
import java.util.List;

/**
 * Creates one evaluator (perplexity, BLEU, ...). Listed in
 * {@code META-INF/services/io.finetune4j.api.eval.EvaluatorProvider}.
 */
@Stable
public interface EvaluatorProvider<C extends Record> extends PluginProvider<C> {
    Evaluator create(C config);

    /**
     * The names under which {@code ft4j metrics --metrics} offers this evaluator, when its evaluators score
     * (prediction, reference) rows without a model ({@link Evaluator#scorePredictions}); the id is accepted
     * too. Empty (the default) for evaluators that need a model.
     */
    default List<String> predictionMetricNames() {
        return List.of();
    }
}
