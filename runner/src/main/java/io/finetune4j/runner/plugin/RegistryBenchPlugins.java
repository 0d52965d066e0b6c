package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.bench.BenchPlugins;
import io.finetune4j.runner.config.ConfigBinder;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The bench's view of the runner's plugin registry: providers from {@link LoadedPlugins} (the one
 * discovery path), settings bound by {@link ConfigBinder} as a pipeline file's are, then validated.
 */
public final class RegistryBenchPlugins implements BenchPlugins {
    private final LoadedPlugins plugins;
    private final ConfigBinder binder;

    @Inject
    public RegistryBenchPlugins(LoadedPlugins plugins, ConfigBinder binder) {
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.binder = requireNonNull(binder, "binder is null");
    }

    @Override
    public Optional<Method> method(String id, ObjectNode settings, String path, MethodContext context) {
        return Optional.ofNullable(plugins.methods().get(id))
                .map(provider -> create(provider, settings, path, (config, p) -> createMethod(p, config, context)));
    }

    @Override
    public Optional<Objective> objective(String id, ObjectNode settings, String path, ObjectiveContext context) {
        return Optional.ofNullable(plugins.objectives().get(id))
                .map(provider -> create(provider, settings, path, (config, p) -> createObjective(p, config, context)));
    }

    private <C extends Record, P extends PluginProvider<C>, T> T create(P provider, ObjectNode settings, String path,
                                                                       BiFunction<C, P, T> factory) {
        ConfigProblems problems = ConfigProblems.at(path);
        C config = binder.bind(provider.defaults(), provider.configType(), settings, List.of(), problems).orElse(null);
        if (config != null) {
            provider.validate(config, problems);
        }
        problems.throwIfAny();
        return factory.apply(config, provider);
    }

    @SuppressWarnings("unchecked")
    private static <C extends Record> Method createMethod(PluginProvider<?> provider, C config, MethodContext context) {
        return ((MethodProvider<C>) provider).create(config, context);
    }

    @SuppressWarnings("unchecked")
    private static <C extends Record> Objective createObjective(PluginProvider<?> provider, C config,
                                                                ObjectiveContext context) {
        return ((ObjectiveProvider<C>) provider).create(config, context);
    }
}
