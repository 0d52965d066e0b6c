package io.finetune4j.eval.bleu;

import io.finetune4j.api.EvaluatorProviderContract;

class BleuEvaluatorProviderTest implements EvaluatorProviderContract<BleuConfig> {
    @Override
    public BleuEvaluatorProvider provider() {
        return new BleuEvaluatorProvider();
    }
}
