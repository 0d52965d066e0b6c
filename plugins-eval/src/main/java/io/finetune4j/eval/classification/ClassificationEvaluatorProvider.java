package io.finetune4j.eval.classification;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.eval.exactmatch.SquadScores;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Creates the {@code accuracy} evaluator: accuracy, macro/micro F1, per-class precision and recall and the
 * confusion matrix of labels generated (or chosen by log-likelihood) for labelled prompts.
 */
public final class ClassificationEvaluatorProvider implements EvaluatorProvider<ClassificationConfig> {
    @Override public String id() { return "accuracy"; }

    /** Scores (prediction, reference) rows in {@code ft4j metrics}. */
    @Override public List<String> predictionMetricNames() { return List.of("accuracy"); }

    @Override public String description() { return "Classification accuracy, macro/micro F1, per-class precision/recall"; }

    @Override public ClassificationConfig defaults() { return ClassificationConfig.defaults(); }

    @Override
    public void validate(ClassificationConfig config, ConfigProblems problems) {
        problems.check("generate".equals(config.mode()) || "loglik".equals(config.mode()), "mode",
                "must be generate or loglik, was '%s'", config.mode());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < config.labels().size(); i++) {
            String normalized = SquadScores.normalize(config.labels().get(i));
            problems.check(!normalized.isEmpty(), "labels[" + i + "]",
                    "must have a letter or digit besides articles, was '%s'", config.labels().get(i));
            problems.check(normalized.isEmpty() || seen.add(normalized), "labels[" + i + "]",
                    "'%s' repeats an earlier label (labels are compared normalised)", config.labels().get(i));
        }
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(ClassificationConfig config) {
        return new ClassificationEvaluator(config);
    }
}
