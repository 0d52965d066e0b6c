package io.finetune4j.runner.inject;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.MapBinder;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.runner.plugin.LoadedPlugins;

/**
 * Binds the providers found at start-up into maps keyed by id ({@code Map<String, MethodProvider<?>>}
 * and likewise for objectives and evaluators), plus the {@link LoadedPlugins} value itself for
 * {@code ft4j plugins}. Plugins never see Guice: the providers are bound as instances.
 */
public final class PluginRegistryModule extends AbstractModule {
    private final LoadedPlugins plugins;

    public PluginRegistryModule(LoadedPlugins plugins) {
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    @Override
    protected void configure() {
        bind(LoadedPlugins.class).toInstance(plugins);
        MapBinder<String, MethodProvider<?>> methods = MapBinder.newMapBinder(
                binder(), TypeLiteral.get(String.class), new TypeLiteral<MethodProvider<?>>() {});
        plugins.methods().forEach((id, provider) -> methods.addBinding(id).toInstance(provider));
        MapBinder<String, ObjectiveProvider<?>> objectives = MapBinder.newMapBinder(
                binder(), TypeLiteral.get(String.class), new TypeLiteral<ObjectiveProvider<?>>() {});
        plugins.objectives().forEach((id, provider) -> objectives.addBinding(id).toInstance(provider));
        MapBinder<String, EvaluatorProvider<?>> evaluators = MapBinder.newMapBinder(
                binder(), TypeLiteral.get(String.class), new TypeLiteral<EvaluatorProvider<?>>() {});
        plugins.evaluators().forEach((id, provider) -> evaluators.addBinding(id).toInstance(provider));
        MapBinder<String, RewardFunctionProvider<?>> rewards = MapBinder.newMapBinder(
                binder(), TypeLiteral.get(String.class), new TypeLiteral<RewardFunctionProvider<?>>() {});
        plugins.rewards().forEach((id, provider) -> rewards.addBinding(id).toInstance(provider));
    }
}
