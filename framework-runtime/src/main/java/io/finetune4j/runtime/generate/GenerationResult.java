package io.finetune4j.runtime.generate;

/**
 * @param promptIds the prompt as given
 * @param outputIds the new tokens only, the EOS token included when one ended generation
 * @param stopReason {@code "eos"} or {@code "length"}
 */
public record GenerationResult(long[] promptIds, long[] outputIds, String stopReason) {}
