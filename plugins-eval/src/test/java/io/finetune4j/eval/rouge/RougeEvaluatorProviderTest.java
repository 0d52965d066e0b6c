package io.finetune4j.eval.rouge;

import io.finetune4j.api.EvaluatorProviderContract;

class RougeEvaluatorProviderTest implements EvaluatorProviderContract<RougeConfig> {
    @Override
    public RougeEvaluatorProvider provider() {
        return new RougeEvaluatorProvider();
    }
}
