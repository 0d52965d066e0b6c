package io.finetune4j.runtime.generate;

import io.finetune4j.api.Stable;

/**
 * @param promptIds the prompt as given
 * @param outputIds the new tokens only, the EOS token included when one ended generation
 * @param stopReason {@code "eos"} or {@code "length"}
 */
@Stable
public record GenerationResult(long[] promptIds, long[] outputIds, String stopReason) {}
