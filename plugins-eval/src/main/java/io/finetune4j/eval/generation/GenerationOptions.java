package io.finetune4j.eval.generation;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.runtime.generate.GenerationConfig;

/**
 * How a text-metric evaluator generates its predictions: greedy by default, with optional sampling.
 *
 * @param maxNewTokens at most this many new tokens per prompt
 * @param temperature 0 for greedy decoding
 * @param topK 0 for off
 * @param topP 1 for off
 * @param seed sampling seed
 * @param stopAtNewline cut the decoded text at its first newline
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
                                boolean stopAtNewline) {
    /** Greedy, 64 new tokens, the whole decoded text. */
    public static GenerationOptions defaults() {
        return new GenerationOptions(64, 0, 0, 1, 0, false);
    }

    /** Reports every invalid field under its snake_case key. */
    public void validate(ConfigProblems problems) {
        problems.check(maxNewTokens > 0, "max_new_tokens", "must be > 0, was %d", maxNewTokens);
        problems.check(temperature >= 0 && Double.isFinite(temperature), "temperature", "must be >= 0, was %s",
                temperature);
        problems.check(topK >= 0, "top_k", "must be >= 0, was %d", topK);
        problems.check(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], was %s", topP);
    }

    public GenerationConfig toConfig() {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed);
    }
}
