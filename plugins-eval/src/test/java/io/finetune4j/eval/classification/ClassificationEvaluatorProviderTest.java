package io.finetune4j.eval.classification;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.EvaluatorProviderContract;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationEvaluatorProviderTest implements EvaluatorProviderContract<ClassificationConfig> {
    @Override
    public ClassificationEvaluatorProvider provider() {
        return new ClassificationEvaluatorProvider();
    }

    @Test
    void rejectsAnUnknownModeAndRepeatedLabels() {
        ConfigProblems problems = ConfigProblems.at("evaluators[0]");

        provider().validate(new ClassificationConfig(List.of("Yes", "yes."), "vote", 64, 0, 0, 1, 0, false), problems);

        assertThat(problems.messages()).containsExactly(
                "evaluators[0].mode: must be generate or loglik, was 'vote'",
                "evaluators[0].labels[1]: 'yes.' repeats an earlier label (labels are compared normalised)");
    }
}
