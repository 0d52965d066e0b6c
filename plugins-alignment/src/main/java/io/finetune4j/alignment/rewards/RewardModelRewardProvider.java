package io.finetune4j.alignment.rewards;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.api.reward.RewardInput;
import io.finetune4j.runtime.reward.RewardModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Creates the {@code reward-model} reward: a model trained by a {@code reward} stage
 * ({@link RewardModel}: its checkpoint plus {@code reward_head.safetensors}) scores each prompt + completion
 * token sequence at its last token, as TRL's {@code get_reward}. The sequences are the policy's token ids,
 * so the reward model must share the policy's tokenizer; a different vocabulary is a configuration error.
 */
public final class RewardModelRewardProvider implements RewardFunctionProvider<RewardModelConfig> {
    @Override public String id() { return "reward-model"; }

    @Override public String description() { return "scores completions with a trained reward model (reward stage)"; }

    @Override public RewardModelConfig defaults() { return new RewardModelConfig("", 8); }

    @Override
    public void validate(RewardModelConfig config, ConfigProblems problems) {
        // Required, with no default: an empty path is reported when the pipeline is validated, before any
        // weights load (the defaults alone therefore do not validate).
        problems.check(config.path() != null && !config.path().isBlank(), "path",
                "required: name a reward stage's directory, e.g. path: stage:rm");
        problems.check(config.batchSize() >= 1, "batch_size", "must be >= 1, was %d", config.batchSize());
    }

    @Override
    public RewardFunction create(RewardModelConfig config, RewardContext context) {
        if (config.path() == null || config.path().isBlank()) {
            throw new ConfigException("reward-model: path: required; name a reward stage's directory, e.g. "
                    + "path: stage:rm");
        }
        RewardModel model = RewardModel.load(context.resolve(config.path()), context.device());
        try {
            checkVocabulary(model.model().tokenizer(), context.tokenizer(), model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new RewardModelFunction(model, config.batchSize());
    }

    /** The reward model reads the policy's token ids: both tokenizers must map the same text to the same ids. */
    private static void checkVocabulary(TextTokenizer rewardTokenizer, TextTokenizer policyTokenizer,
                                        RewardModel model) {
        String probe = "The reward model reads the policy's tokens: 0123456789 +-*/=?!";
        boolean same = rewardTokenizer.vocabSize() == policyTokenizer.vocabSize()
                && Arrays.equals(rewardTokenizer.encode(probe, true), policyTokenizer.encode(probe, true));
        if (!same) {
            throw new ConfigException(String.format("reward-model: %s uses another tokenizer than the policy "
                            + "(vocabulary %d vs %d); train the reward stage from the same base model",
                    model.dir(), rewardTokenizer.vocabSize(), policyTokenizer.vocabSize()));
        }
    }

    /** Scores prompt + completion ids with the loaded model; closes it with the function. */
    static final class RewardModelFunction implements RewardFunction {
        private final RewardModel model;
        private final int batchSize;

        RewardModelFunction(RewardModel model, int batchSize) {
            this.model = model;
            this.batchSize = batchSize;
        }

        @Override
        public double[] score(List<RewardInput> inputs) {
            List<long[]> sequences = new ArrayList<>(inputs.size());
            for (RewardInput input : inputs) {
                long[] prompt = input.promptIds();
                long[] completion = input.completionIds();
                long[] ids = Arrays.copyOf(prompt, prompt.length + completion.length);
                System.arraycopy(completion, 0, ids, prompt.length, completion.length);
                sequences.add(ids); // RewardModel.score reads it at the last non-pad token, as the head was trained

            }
            return model.score(sequences, batchSize);
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
