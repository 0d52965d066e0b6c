package io.finetune4j.runner.plugin;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;

/** The kinds of provider a bundle can contribute, with the SPI interface each is found by. */
public enum PluginKind {
    METHOD("method", MethodProvider.class),
    OBJECTIVE("objective", ObjectiveProvider.class),
    EVALUATOR("evaluator", EvaluatorProvider.class),
    REWARD("reward", RewardFunctionProvider.class);

    private final String label;
    private final Class<? extends PluginProvider<?>> spi;

    @SuppressWarnings({"unchecked", "rawtypes"})
    PluginKind(String label, Class<? extends PluginProvider> spi) {
        this.label = label;
        this.spi = (Class<? extends PluginProvider<?>>) (Class) spi;
    }

    /** Lower-case word used in messages and in {@code ft4j plugins}: {@code method}. */
    public String label() {
        return label;
    }

    /** The service interface listed in {@code META-INF/services}. */
    public Class<? extends PluginProvider<?>> spi() {
        return spi;
    }

    @Override
    public String toString() {
        return label;
    }
}
