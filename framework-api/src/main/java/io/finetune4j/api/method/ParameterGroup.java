package io.finetune4j.api.method;

import io.finetune4j.api.Stable;

/**
 * The optimizer settings of one trainable parameter, as a {@code torch.optim} parameter group holds them.
 *
 * @param learningRate peak learning rate; the stage's schedule scales every parameter's rate by the same factor
 * @param weightDecay decoupled (AdamW) weight decay, {@code >= 0}
 */
@Stable
public record ParameterGroup(double learningRate, double weightDecay) {}
