package io.finetune4j.eval.meteor;

import io.finetune4j.api.EvaluatorProviderContract;

class MeteorEvaluatorProviderTest implements EvaluatorProviderContract<MeteorConfig> {
    @Override
    public MeteorEvaluatorProvider provider() {
        return new MeteorEvaluatorProvider();
    }
}
