package io.finetune4j.eval.perplexity;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import org.junit.jupiter.api.Test;

class PerplexityEvaluatorProviderTest implements EvaluatorProviderContract<PerplexityConfig> {
    @Override
    public PerplexityEvaluatorProvider provider() {
        return new PerplexityEvaluatorProvider();
    }

    @Test
    void rejectsANonPositiveBatchSize() {
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new PerplexityConfig(0), problems);

        assertThat(problems.messages()).containsExactly("evaluators[0].batch_size: must be > 0, was 0");
    }
}
