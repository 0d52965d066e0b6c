package io.finetune4j.peft.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PromptTuningMethodProviderTest implements MethodProviderContract<PromptTuningConfig> {
    @Override
    public PromptTuningMethodProvider provider() {
        return new PromptTuningMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.llama(1), 3));
    }

    private static List<String> problems(PromptTuningConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new PromptTuningMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsAreTwentyRandomVirtualTokens() {
        assertThat(provider().defaults()).isEqualTo(new PromptTuningConfig(20, "RANDOM", ""));
        assertThat(provider().peftType()).contains("PROMPT_TUNING");
    }

    @Test
    void rejectsZeroTokensAndAnUnknownInit() {
        assertThat(problems(new PromptTuningConfig(0, "VOCAB", ""))).containsExactly(
                "stages[0].method.num_virtual_tokens: must be > 0, was 0",
                "stages[0].method.prompt_tuning_init: must be one of [RANDOM, TEXT], was 'VOCAB'");
    }

    @Test
    void textInitNeedsAText() {
        assertThat(problems(new PromptTuningConfig(4, "TEXT", " "))).containsExactly(
                "stages[0].method.prompt_tuning_init_text: must be set when prompt_tuning_init is TEXT");
    }
}
