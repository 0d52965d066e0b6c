package io.finetune4j.eval.judge;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.eval.preference.ComparedModel;

/** Creates the {@code llm-judge} evaluator: pairwise comparison with a baseline by a local judge model. */
public final class LlmJudgeEvaluatorProvider implements EvaluatorProvider<LlmJudgeConfig> {
    static final String ID = "llm-judge";

    @Override public String id() { return ID; }

    @Override public String description() { return "Pairwise win rate against a baseline, judged by a local model in both orders"; }

    /** {@code judge} has no default: an empty value is reported when the data is checked. */
    @Override public LlmJudgeConfig defaults() { return LlmJudgeConfig.defaults(); }

    @Override
    public void validate(LlmJudgeConfig config, ConfigProblems problems) {
        problems.check(config.judge() != null, "judge", "must be a path");
        problems.check(config.baseline() != null && !config.baseline().isBlank(), "baseline",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
        if (problems.check(config.rubric() != null, "rubric", "must be text")) {
            for (String placeholder : JudgeRubric.PLACEHOLDERS) {
                problems.check(config.rubric().contains(placeholder), "rubric", "must contain %s", placeholder);
            }
        }
        boolean a = problems.check(config.verdictA() != null && !config.verdictA().isEmpty(), "verdict_a",
                "must be non-empty text");
        boolean b = problems.check(config.verdictB() != null && !config.verdictB().isEmpty(), "verdict_b",
                "must be non-empty text");
        if (a && b) {
            problems.check(!config.verdictA().startsWith(config.verdictB())
                            && !config.verdictB().startsWith(config.verdictA()), "verdict_b",
                    "must differ from verdict_a and neither may start with the other, were '%s' and '%s'",
                    config.verdictA(), config.verdictB());
        }
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(LlmJudgeConfig config) {
        return new LlmJudgeEvaluator(config);
    }
}
