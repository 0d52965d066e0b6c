package io.finetune4j.eval.rouge;

import io.finetune4j.eval.generation.GenerationOptions;

/**
 * Settings of the {@code rouge} evaluator: {@code use_stemmer} (Porter, as rouge-score's option) and how
 * predictions are generated ({@code max_new_tokens}, {@code temperature}, {@code top_k}, {@code top_p},
 * {@code seed}, {@code stop_at_newline}).
 */
public record RougeConfig(boolean useStemmer, int maxNewTokens, double temperature, int topK, double topP, long seed,
                          boolean stopAtNewline) {
    static RougeConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new RougeConfig(false, g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed(),
                g.stopAtNewline());
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtNewline);
    }
}
