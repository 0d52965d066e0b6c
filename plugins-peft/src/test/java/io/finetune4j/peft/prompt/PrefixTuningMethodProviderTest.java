package io.finetune4j.peft.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PrefixTuningMethodProviderTest implements MethodProviderContract<PrefixTuningConfig> {
    @Override
    public PrefixTuningMethodProvider provider() {
        return new PrefixTuningMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.gpt2(1), 3));
    }

    private static List<String> problems(PrefixTuningConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new PrefixTuningMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsArePeftDefaults() {
        assertThat(provider().defaults()).isEqualTo(new PrefixTuningConfig(20, false, 0));
        assertThat(provider().peftType()).contains("PREFIX_TUNING");
    }

    @Test
    void acceptsTheEncoderSizeASavedPlainPrefixCarries() {
        // PEFT writes encoder_hidden_size even without the projection; a saved adapter's keys must validate
        assertThat(problems(new PrefixTuningConfig(4, false, 8))).isEmpty();
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThat(problems(new PrefixTuningConfig(-1, true, -2))).containsExactly(
                "stages[0].method.num_virtual_tokens: must be > 0, was -1",
                "stages[0].method.encoder_hidden_size: must be >= 0 (0 means token_dim), was -2");
    }
}
