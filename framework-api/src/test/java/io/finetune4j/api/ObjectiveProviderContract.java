package io.finetune4j.api;

import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Contract tests every {@link ObjectiveProvider} passes: implement it in the provider's test and return a
 * fresh provider from {@link #provider()}.
 */
public interface ObjectiveProviderContract<C extends Record> extends PluginProviderContract<C> {
    @Override
    ObjectiveProvider<C> provider();

    @Override
    default Class<?> serviceType() {
        return ObjectiveProvider.class;
    }
}
