package io.finetune4j.runner.config;

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
        return provider.create(provider.configType().cast(config), context);
    }

    @SuppressWarnings("unchecked")
    static <C extends Record> Method method(MethodProvider<C> provider, Record config, MethodContext context) {
        return provider.create(provider.configType().cast(config), context);
    }

    @SuppressWarnings("unchecked")
    static <C extends Record> Objective objective(ObjectiveProvider<C> provider, Record config,
                                                  ObjectiveContext context) {
        return provider.create(provider.configType().cast(config), context);
    }

    @SuppressWarnings("unchecked")
    static <C extends Record> Evaluator evaluator(EvaluatorProvider<C> provider, Record config) {
        return provider.create(provider.configType().cast(config));
    }
}
