package io.finetune4j.eval.exactmatch;

import io.finetune4j.api.EvaluatorProviderContract;

class ExactMatchEvaluatorProviderTest implements EvaluatorProviderContract<SquadConfig> {
    @Override
    public ExactMatchEvaluatorProvider provider() {
        return new ExactMatchEvaluatorProvider();
    }
}
