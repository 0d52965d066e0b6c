package io.finetune4j.eval.perplexity;

/**
 * Settings of the {@code perplexity} evaluator; pipeline files write the keys in snake_case.
 *
 * @param batchSize sequences per forward pass
 */
public record PerplexityConfig(int batchSize) {}
