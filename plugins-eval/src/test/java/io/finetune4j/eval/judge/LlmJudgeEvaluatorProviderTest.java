package io.finetune4j.eval.judge;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import org.junit.jupiter.api.Test;

class LlmJudgeEvaluatorProviderTest implements EvaluatorProviderContract<LlmJudgeConfig> {
    @Override
    public LlmJudgeEvaluatorProvider provider() {
        return new LlmJudgeEvaluatorProvider();
    }

    @Test
    void theDefaultRubricHasEveryPlaceholderAndEndsWhereTheVerdictGoes() {
        String rubric = provider().defaults().rubric();

        assertThat(rubric).contains("{question}", "{answer_a}", "{answer_b}").endsWith("Verdict: ");
    }

    @Test
    void rejectsARubricWithoutAPlaceholderAndVerdictsThatPrefixEachOther() {
        LlmJudgeConfig d = provider().defaults();
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new LlmJudgeConfig("j", "adapters-disabled", "Q: {question} A: {answer_a}", "A", "AB",
                d.maxNewTokens(), d.temperature(), d.topK(), d.topP(), d.seed()), problems);

        assertThat(problems.messages()).containsExactly(
                "evaluators[0].rubric: must contain {answer_b}",
                "evaluators[0].verdict_b: must differ from verdict_a and neither may start with the other, were 'A' and 'AB'");
    }

    @Test
    void rejectsAnEmptyVerdictAndBadSampling() {
        LlmJudgeConfig d = provider().defaults();
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new LlmJudgeConfig("j", "", d.rubric(), "", "B", 0, d.temperature(), d.topK(), 1.5,
                d.seed()), problems);

        assertThat(problems.messages()).containsExactly(
                "evaluators[0].baseline: must be 'adapters-disabled' or a checkpoint directory",
                "evaluators[0].verdict_a: must be non-empty text",
                "evaluators[0].max_new_tokens: must be > 0, was 0",
                "evaluators[0].top_p: must be in (0, 1], was 1.5");
    }
}
