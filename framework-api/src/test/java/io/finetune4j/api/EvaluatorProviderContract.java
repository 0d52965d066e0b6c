package io.finetune4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.eval.EvaluatorProvider;
import org.junit.jupiter.api.Test;

/**
 * Contract tests every {@link EvaluatorProvider} passes: implement it in the provider's test and return a
 * fresh provider from {@link #provider()}.
 */
public interface EvaluatorProviderContract<C extends Record> extends PluginProviderContract<C> {
    @Override
    EvaluatorProvider<C> provider();

    @Override
    default Class<?> serviceType() {
        return EvaluatorProvider.class;
    }

    /** Evaluators are created without a model, so creating one from the defaults must be cheap and work. */
    @Test
    default void createsFromDefaults() {
        EvaluatorProvider<C> provider = provider();

        assertThat(provider.create(provider.defaults())).isNotNull();
    }
}
