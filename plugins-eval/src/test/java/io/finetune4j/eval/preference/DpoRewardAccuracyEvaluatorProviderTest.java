package io.finetune4j.eval.preference;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import org.junit.jupiter.api.Test;

class DpoRewardAccuracyEvaluatorProviderTest implements EvaluatorProviderContract<DpoRewardAccuracyConfig> {
    @Override
    public DpoRewardAccuracyEvaluatorProvider provider() {
        return new DpoRewardAccuracyEvaluatorProvider();
    }

    @Test
    void defaultsAreTrlsBetaAndTheAdapterFreeReference() {
        assertThat(provider().defaults()).isEqualTo(new DpoRewardAccuracyConfig(0.1, "adapters-disabled", 4));
    }

    @Test
    void rejectsANonPositiveBetaAnEmptyReferenceAndBatchSize() {
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new DpoRewardAccuracyConfig(0, " ", 0), problems);

        assertThat(problems.messages()).containsExactly(
                "evaluators[0].beta: must be > 0, was 0.0",
                "evaluators[0].reference: must be 'adapters-disabled' or a checkpoint directory",
                "evaluators[0].batch_size: must be > 0, was 0");
    }
}
