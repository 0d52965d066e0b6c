package io.finetune4j.eval.perplexity;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;

/** Creates the {@code perplexity} evaluator: token-weighted exp(mean NLL) on text or completions. */
public final class PerplexityEvaluatorProvider implements EvaluatorProvider<PerplexityConfig> {
    @Override public String id() { return "perplexity"; }

    @Override public String description() { return "Perplexity of text, or of completions given their prompts"; }

    @Override public PerplexityConfig defaults() { return new PerplexityConfig(8); }

    @Override
    public void validate(PerplexityConfig config, ConfigProblems problems) {
        problems.check(config.batchSize() > 0, "batch_size", "must be > 0, was %d", config.batchSize());
    }

    @Override
    public Evaluator create(PerplexityConfig config) {
        return new PerplexityEvaluator(config);
    }
}
