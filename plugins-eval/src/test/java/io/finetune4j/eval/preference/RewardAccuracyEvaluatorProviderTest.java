package io.finetune4j.eval.preference;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import org.junit.jupiter.api.Test;

class RewardAccuracyEvaluatorProviderTest implements EvaluatorProviderContract<RewardAccuracyConfig> {
    @Override
    public RewardAccuracyEvaluatorProvider provider() {
        return new RewardAccuracyEvaluatorProvider();
    }

    @Test
    void rejectsANonPositiveBatchSize() {
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new RewardAccuracyConfig("stage:rm", 0), problems);

        assertThat(problems.messages()).containsExactly("evaluators[0].batch_size: must be > 0, was 0");
    }
}
