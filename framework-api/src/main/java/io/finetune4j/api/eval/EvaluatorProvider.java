package io.finetune4j.api.eval;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.Stable;

/**
 * Creates one evaluator (perplexity, BLEU, ...). Listed in
 * {@code META-INF/services/io.finetune4j.api.eval.EvaluatorProvider}.
 */
@Stable
public interface EvaluatorProvider<C extends Record> extends PluginProvider<C> {
    Evaluator create(C config);
}
