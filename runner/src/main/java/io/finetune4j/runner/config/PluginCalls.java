package io.finetune4j.runner.config;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.PluginLoadException;
import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import java.util.function.Supplier;

/**
 * Creates plugin objects from a {@link PluginChoice}. The config was bound to the provider's own
 * {@code configType()}, which is what makes the unchecked casts safe.
 */
public final class PluginCalls {
    private PluginCalls() {}

    public static Method createMethod(PluginChoice<MethodProvider<?>> choice, MethodContext context) {
        return method(choice.provider(), choice.config(), context);
    }

    public static Objective createObjective(PluginChoice<ObjectiveProvider<?>> choice, ObjectiveContext context) {
        return objective(choice.provider(), choice.config(), context);
    }

    public static Evaluator createEvaluator(PluginChoice<EvaluatorProvider<?>> choice) {
        return evaluator(choice.provider(), choice.config());
    }

    public static RewardFunction createReward(PluginChoice<RewardFunctionProvider<?>> choice, RewardContext context) {
        return reward(choice.provider(), choice.config(), context);
    }

    static <C extends Record> RewardFunction reward(RewardFunctionProvider<C> provider, Record config,
                                                    RewardContext context) {
        return created(provider, "reward function", () -> provider.create(provider.configType().cast(config), context));
    }

    static <C extends Record> Method method(MethodProvider<C> provider, Record config, MethodContext context) {
        return created(provider, "method", () -> provider.create(provider.configType().cast(config), context));
    }

    static <C extends Record> Objective objective(ObjectiveProvider<C> provider, Record config,
                                                  ObjectiveContext context) {
        return created(provider, "objective", () -> provider.create(provider.configType().cast(config), context));
    }

    static <C extends Record> Evaluator evaluator(EvaluatorProvider<C> provider, Record config) {
        return created(provider, "evaluator", () -> provider.create(provider.configType().cast(config)));
    }

    /**
     * A provider's {@code create()}: its ConfigException (bad settings or data) and TrainingException pass as they
     * are; anything else it throws is the plugin's failure, named as such (not a finetune4j bug).
     */
    private static <T> T created(PluginProvider<?> provider, String kind, Supplier<T> create) {
        try {
            return create.get();
        } catch (ConfigException | TrainingException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw new PluginLoadException(String.format("%s '%s' (%s) failed in create(): %s", kind, provider.id(),
                    provider, e), e);
        }
    }
}
