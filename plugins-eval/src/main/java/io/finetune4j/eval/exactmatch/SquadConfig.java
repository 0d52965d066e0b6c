package io.finetune4j.eval.exactmatch;

import io.finetune4j.eval.generation.GenerationOptions;

/**
 * Settings of the {@code exact-match} and {@code f1} evaluators: how predictions are generated
 * ({@code max_new_tokens}, {@code temperature}, {@code top_k}, {@code top_p}, {@code seed},
 * {@code stop_at_newline}).
 */
public record SquadConfig(int maxNewTokens, double temperature, int topK, double topP, long seed,
                          boolean stopAtNewline) {
    static SquadConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new SquadConfig(g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed(), g.stopAtNewline());
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtNewline);
    }
}
