package io.finetune4j.eval.preference;

import io.finetune4j.api.model.ModelSource;
import io.finetune4j.eval.generation.GenerationOptions;

/**
 * Settings of the {@code win-rate} evaluator; pipeline files write the keys in snake_case.
 *
 * @param rewardModel the judging reward model: a {@code reward} stage's output ({@code stage:NAME}) or a
 *     directory with the model and {@code reward_head.safetensors}; required
 * @param baseline model B: {@code adapters-disabled} (the evaluated model's base) or a checkpoint directory
 * @param maxNewTokens at most this many new tokens per answer
 * @param temperature 0 for greedy decoding
 * @param topK 0 for off
 * @param topP 1 for off
 * @param seed sampling seed, the same for both models
 * @param batchSize sequences per reward-model forward
 */
public record WinRateConfig(String rewardModel, String baseline, int maxNewTokens, double temperature, int topK,
                            double topP, long seed, int batchSize) {
    static WinRateConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new WinRateConfig("", ModelSource.ADAPTERS_DISABLED, g.maxNewTokens(), g.temperature(), g.topK(),
                g.topP(), g.seed(), 8);
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, false);
    }
}
