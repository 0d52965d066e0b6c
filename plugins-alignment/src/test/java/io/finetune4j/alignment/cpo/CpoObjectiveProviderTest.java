package io.finetune4j.alignment.cpo;

import io.finetune4j.api.ObjectiveProviderContract;

class CpoObjectiveProviderTest implements ObjectiveProviderContract<CpoConfig> {
    @Override
    public CpoObjectiveProvider provider() {
        return new CpoObjectiveProvider();
    }
}
