package io.finetune4j.runner.plugin;

import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.api.reward.RewardInput;
import java.util.List;

/** A reward-function provider whose every call, down to each scoring and the close, runs in its bundle. */
final class BundleRewardFunctionProvider<C extends Record> extends BundleProvider<C, RewardFunctionProvider<C>>
        implements RewardFunctionProvider<C> {
    BundleRewardFunctionProvider(RewardFunctionProvider<C> delegate, Bundle bundle, String id, String version) {
        super(delegate, bundle, id, version);
    }

    @Override
    public RewardFunction create(C config, RewardContext context) {
        RewardFunction function = bundle.call(() -> delegate.create(config, context));
        return new RewardFunction() {
            @Override
            public double[] score(List<RewardInput> inputs) {
                return bundle.call(() -> function.score(inputs));
            }

            @Override
            public void close() {
                bundle.run(function::close);
            }
        };
    }
}
