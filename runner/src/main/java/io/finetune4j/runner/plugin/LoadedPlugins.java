package io.finetune4j.runner.plugin;

import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every provider found at start-up, keyed by id per kind, in registration order (the runner's
 * classpath first, then bundles sorted by name). Providers are wrapped so that each call into plugin
 * code runs with its bundle's class loader as the thread context loader. Immutable once built; closing
 * it closes the bundles' class loaders.
 */
public final class LoadedPlugins implements AutoCloseable {
    private final List<PluginInfo> infos;
    private final Map<String, MethodProvider<?>> methods;
    private final Map<String, ObjectiveProvider<?>> objectives;
    private final Map<String, EvaluatorProvider<?>> evaluators;
    private final Map<String, RewardFunctionProvider<?>> rewards;
    private final List<URLClassLoader> bundleLoaders;

    private LoadedPlugins(Builder builder) {
        this.infos = List.copyOf(builder.infos);
        this.methods = Collections.unmodifiableMap(new LinkedHashMap<>(builder.methods));
        this.objectives = Collections.unmodifiableMap(new LinkedHashMap<>(builder.objectives));
        this.evaluators = Collections.unmodifiableMap(new LinkedHashMap<>(builder.evaluators));
        this.rewards = Collections.unmodifiableMap(new LinkedHashMap<>(builder.rewards));
        this.bundleLoaders = List.copyOf(builder.bundleLoaders);
    }

    /** No providers at all. */
    public static LoadedPlugins empty() {
        return new Builder().build();
    }

    /** Every registration, in order. */
    public List<PluginInfo> all() {
        return infos;
    }

    public Map<String, MethodProvider<?>> methods() {
        return methods;
    }

    public Map<String, ObjectiveProvider<?>> objectives() {
        return objectives;
    }

    public Map<String, EvaluatorProvider<?>> evaluators() {
        return evaluators;
    }

    /** Reward functions, named by a stage's {@code reward:}. */
    public Map<String, RewardFunctionProvider<?>> rewards() {
        return rewards;
    }

    @Override
    public void close() {
        UncheckedIOException failure = null;
        for (URLClassLoader loader : bundleLoaders) {
            try {
                loader.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = new UncheckedIOException("cannot close plugin bundle " + loader.getName(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Collects registrations; {@link PluginLoader} checks ids before adding. */
    static final class Builder {
        private final List<PluginInfo> infos = new ArrayList<>();
        private final Map<String, MethodProvider<?>> methods = new LinkedHashMap<>();
        private final Map<String, ObjectiveProvider<?>> objectives = new LinkedHashMap<>();
        private final Map<String, EvaluatorProvider<?>> evaluators = new LinkedHashMap<>();
        private final Map<String, RewardFunctionProvider<?>> rewards = new LinkedHashMap<>();
        private final List<URLClassLoader> bundleLoaders = new ArrayList<>();

        void addMethod(PluginInfo info, MethodProvider<?> provider) {
            infos.add(info);
            methods.put(info.id(), provider);
        }

        void addObjective(PluginInfo info, ObjectiveProvider<?> provider) {
            infos.add(info);
            objectives.put(info.id(), provider);
        }

        void addEvaluator(PluginInfo info, EvaluatorProvider<?> provider) {
            infos.add(info);
            evaluators.put(info.id(), provider);
        }

        void addReward(PluginInfo info, RewardFunctionProvider<?> provider) {
            infos.add(info);
            rewards.put(info.id(), provider);
        }

        void addBundleLoader(URLClassLoader loader) {
            bundleLoaders.add(loader);
        }

        List<PluginInfo> infos() {
            return infos;
        }

        LoadedPlugins build() {
            return new LoadedPlugins(this);
        }
    }
}
