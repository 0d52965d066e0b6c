package io.finetune4j.api.reward;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.Stable;

/**
 * Creates one reward function ({@code reward-model}, {@code exact-answer}, ...). Listed in
 * {@code META-INF/services/io.finetune4j.api.reward.RewardFunctionProvider}; a stage names it under
 * {@code reward:}.
 */
@Stable
public interface RewardFunctionProvider<C extends Record> extends PluginProvider<C> {
    RewardFunction create(C config, RewardContext context);
}
