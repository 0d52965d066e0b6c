package io.finetune4j.examples.tokencount;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import java.util.List;

/**
 * Creates the {@code token-count} evaluator: the mean number of tokens per example under the model's
 * tokenizer. Listed in {@code META-INF/services/io.finetune4j.api.eval.EvaluatorProvider}; like every
 * provider it has a public no-arg constructor that does no work.
 */
public final class TokenCountEvaluatorProvider implements EvaluatorProvider<TokenCountConfig> {
    static final List<String> PARTS = List.of("all", "completion");

    @Override
    public String id() {
        return "token-count";
    }

    @Override
    public String description() {
        return "Mean tokens per example under the model's tokenizer (an example plugin)";
    }

    @Override
    public TokenCountConfig defaults() {
        return new TokenCountConfig("all", false);
    }

    @Override
    public void validate(TokenCountConfig config, ConfigProblems problems) {
        problems.check(PARTS.contains(config.part()), "part", "must be one of %s, was '%s'", PARTS, config.part());
    }

    @Override
    public Evaluator create(TokenCountConfig config) {
        return new TokenCountEvaluator(config);
    }
}
