package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ObjectiveProviderContract;
import org.junit.jupiter.api.Test;

class SftObjectiveProviderTest implements ObjectiveProviderContract<SftConfig> {
    @Override
    public SftObjectiveProvider provider() {
        return new SftObjectiveProvider();
    }

    @Test
    void defaultsTrainOnCompletionsAndAppendEos() {
        assertThat(provider().defaults()).isEqualTo(new SftConfig(true, true));
    }
}
