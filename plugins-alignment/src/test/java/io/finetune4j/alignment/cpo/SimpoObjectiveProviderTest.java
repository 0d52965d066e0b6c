package io.finetune4j.alignment.cpo;

import io.finetune4j.api.ObjectiveProviderContract;

class SimpoObjectiveProviderTest implements ObjectiveProviderContract<CpoConfig> {
    @Override
    public SimpoObjectiveProvider provider() {
        return new SimpoObjectiveProvider();
    }
}
