package io.finetune4j.api;

import io.finetune4j.api.reward.RewardFunctionProvider;

/**
 * Contract tests every {@link RewardFunctionProvider} passes: implement it in the provider's test and
 * return a fresh provider from {@link #provider()}. Creating a reward function may load a model, so the
 * contract checks the provider's description, defaults and service registration only.
 */
public interface RewardFunctionProviderContract<C extends Record> extends PluginProviderContract<C> {
    @Override
    RewardFunctionProvider<C> provider();

    @Override
    default Class<?> serviceType() {
        return RewardFunctionProvider.class;
    }
}
