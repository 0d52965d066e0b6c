package io.finetune4j.alignment.rewards;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.api.reward.RewardInput;
import java.util.List;

/**
 * Creates the {@code exact-answer} reward: 1.0 when the completion's answer equals the row's reference
 * answer (the {@code completion} of a prompt/completion row) after {@link AnswerExtractor}'s
 * normalisation, else 0.0. A rule for verifiable tasks such as arithmetic prompts ("2+3=" → "5").
 * A row without a reference is a configuration error, reported with its file and line.
 */
public final class ExactAnswerRewardProvider implements RewardFunctionProvider<ExactAnswerConfig> {
    @Override public String id() { return "exact-answer"; }

    @Override public String description() { return "1 when the completion's answer equals the reference, else 0"; }

    @Override public ExactAnswerConfig defaults() { return new ExactAnswerConfig("auto"); }

    @Override
    public void validate(ExactAnswerConfig config, ConfigProblems problems) {
        problems.check(config.mode() != null && AnswerExtractor.MODES.contains(config.mode()), "mode",
                "must be one of %s, was '%s'", AnswerExtractor.MODES, config.mode());
    }

    @Override
    public RewardFunction create(ExactAnswerConfig config, RewardContext context) {
        return inputs -> score(inputs, config.mode());
    }

    static double[] score(List<RewardInput> inputs, String mode) {
        double[] scores = new double[inputs.size()];
        for (int i = 0; i < scores.length; i++) {
            RewardInput input = inputs.get(i);
            if (input.reference().isBlank()) {
                throw new ConfigException(input.source() + ": exact-answer compares with the row's reference "
                        + "answer; use {\"prompt\", \"completion\"} rows whose completion is the answer");
            }
            scores[i] = AnswerExtractor.matches(input.completion(), input.reference(), mode) ? 1.0 : 0.0;
        }
        return scores;
    }
}
