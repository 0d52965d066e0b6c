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
        assertThat(provider().defaults().completionOnlyLoss()).isTrue();
        assertThat(provider().defaults().addEos()).isTrue();
    }

    /** TRL v1.9 {@code SFTConfig.assistant_only_loss} defaults to False: messages rows train on every token. */
    @Test
    void messagesTrainOnEveryTokenByDefaultAsTrl() {
        assertThat(provider().defaults()).isEqualTo(new SftConfig("auto", true, false, true, false, "bfd"));
    }
}
