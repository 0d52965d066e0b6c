package io.finetune4j.eval.preference;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import org.junit.jupiter.api.Test;

class WinRateEvaluatorProviderTest implements EvaluatorProviderContract<WinRateConfig> {
    @Override
    public WinRateEvaluatorProvider provider() {
        return new WinRateEvaluatorProvider();
    }

    @Test
    void defaultsAreGreedyAgainstTheAdapterFreeBase() {
        WinRateConfig defaults = provider().defaults();

        assertThat(defaults.baseline()).isEqualTo("adapters-disabled");
        assertThat(defaults.temperature()).isZero();
        assertThat(defaults.maxNewTokens()).isEqualTo(64);
    }

    @Test
    void rejectsBadSamplingAndBatchSize() {
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new WinRateConfig("stage:rm", "adapters-disabled", 8, -1, -2, 0, 0, 0), problems);

        assertThat(problems.messages()).containsExactly(
                "evaluators[0].batch_size: must be > 0, was 0",
                "evaluators[0].temperature: must be >= 0, was -1.0",
                "evaluators[0].top_k: must be >= 0, was -2",
                "evaluators[0].top_p: must be in (0, 1], was 0.0");
    }
}
