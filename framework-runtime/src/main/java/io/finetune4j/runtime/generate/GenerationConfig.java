package io.finetune4j.runtime.generate;

import io.finetune4j.api.Stable;

/**
 * How {@link Generator} picks tokens.
 *
 * @param maxNewTokens at most this many new tokens (&gt;= 0)
 * @param temperature 0 for greedy decoding, else logits are divided by it before sampling
 * @param topK keep the k most likely tokens (ties kept); 0 for off
 * @param topP keep the smallest most-likely set whose probability reaches top_p; 1 for off
 * @param seed seeds the sampler: the same seed gives the same tokens
 */
@Stable
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, long seed) {
    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, was " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        }
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, 0);
    }
}
