package io.finetune4j.peft.glora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GloraMethodProviderTest implements MethodProviderContract<GloraConfig> {
    @Override
    public GloraMethodProvider provider() {
        return new GloraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.gpt2(1), 3));
    }

    private static List<String> problems(GloraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new GloraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsAreTheLargestSubnetAtRankFour() {
        GloraConfig defaults = provider().defaults();
        assertThat(defaults.support("a")).isEqualTo(new GloraConfig.Support("lora", 4));
        assertThat(defaults.support("c")).isEqualTo(new GloraConfig.Support("lora", 4));
        assertThat(defaults.support("d")).isEqualTo(new GloraConfig.Support("vector", 0));
        assertThat(defaults.support("e")).isEqualTo(new GloraConfig.Support("vector", 0));
    }

    @Test
    void aSupportMayCarryItsOwnRank() {
        GloraConfig config = new GloraConfig(4, "LoRA_8", "scalar", "none", "none", "scalar", List.of("q_proj"));
        assertThat(config.support("a")).isEqualTo(new GloraConfig.Support("lora", 8));
        assertThat(config.support("b")).isEqualTo(new GloraConfig.Support("scalar", 0));
        assertThat(problems(config)).isEmpty();
    }

    @Test
    void rejectsLoraOnTheBiasSupportsAndUnknownTypes() {
        assertThat(problems(new GloraConfig(4, "diagonal", "lora_0", "lora", "lora", "vector", List.of("q_proj"))))
                .containsExactly(
                        "stages[0].method.a: must be lora, lora_<rank>, vector, scalar or none, was 'diagonal'",
                        "stages[0].method.b: must be lora, lora_<rank>, vector, scalar or none, was 'lora_0'",
                        "stages[0].method.d: must be vector, scalar or none (the bias support is a vector), was 'lora'");
    }

    @Test
    void rejectsEverySupportNone() {
        assertThat(problems(new GloraConfig(4, "none", "none", "none", "none", "none", List.of("q_proj"))))
                .containsExactly("stages[0].method.a: at least one of a, b, c, d, e must be other than none");
    }
}
