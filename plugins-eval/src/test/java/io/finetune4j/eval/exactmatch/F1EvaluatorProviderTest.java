package io.finetune4j.eval.exactmatch;

import io.finetune4j.api.EvaluatorProviderContract;

class F1EvaluatorProviderTest implements EvaluatorProviderContract<SquadConfig> {
    @Override
    public F1EvaluatorProvider provider() {
        return new F1EvaluatorProvider();
    }
}
