package io.finetune4j.eval.bleu;

import io.finetune4j.eval.generation.GenerationOptions;

/**
 * Settings of the {@code bleu} evaluator: how predictions are generated (pipeline keys
 * {@code max_new_tokens}, {@code temperature}, {@code top_k}, {@code top_p}, {@code seed},
 * {@code stop_at_newline}). Scoring uses sacreBLEU's defaults and has no settings.
 */
public record BleuConfig(int maxNewTokens, double temperature, int topK, double topP, long seed,
                         boolean stopAtNewline) {
    static BleuConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new BleuConfig(g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed(), g.stopAtNewline());
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtNewline);
    }
}
