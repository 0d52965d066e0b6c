package io.finetune4j.peft.lora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoraMethodProviderTest implements MethodProviderContract<LoraConfig> {
    @Override
    public LoraMethodProvider provider() {
        return new LoraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new TinyModels.Context(TinyModels.llama(1), 3));
    }

    private static List<String> problems(LoraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new LoraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsArePeftDefaultsForBothFamilies() {
        assertThat(provider().defaults()).isEqualTo(new LoraConfig(8, 8.0, 0.0, List.of("q_proj", "v_proj", "c_attn")));
        assertThat(provider().peftType()).contains("LORA");
    }

    @Test
    void rejectsZeroRankAndNamesTheKey() {
        assertThat(problems(new LoraConfig(0, 16.0, 0.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.r: must be > 0, was 0");
    }

    @Test
    void rejectsNonPositiveAlpha() {
        assertThat(problems(new LoraConfig(8, 0.0, 0.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_alpha: must be > 0, was 0.0");
    }

    @Test
    void rejectsDropoutOutsideZeroToOne() {
        assertThat(problems(new LoraConfig(8, 8.0, 1.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_dropout: must be in [0, 1), was 1.0");
        assertThat(problems(new LoraConfig(8, 8.0, -0.1, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_dropout: must be in [0, 1), was -0.1");
    }

    @Test
    void rejectsEmptyTargetModules() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of())))
                .containsExactly("stages[0].method.target_modules: must name at least one module");
    }

    @Test
    void rejectsABlankTarget() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of("q_proj", " "))))
                .containsExactly("stages[0].method.target_modules[1]: must not be empty");
    }

    @Test
    void rejectsAllLinearBesideOtherTargets() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of("all-linear", "q_proj"))))
                .containsExactly("stages[0].method.target_modules: 'all-linear' must be the only entry, was"
                        + " [all-linear, q_proj]");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThat(problems(new LoraConfig(0, -1.0, 2.0, List.of()))).containsExactly(
                "stages[0].method.r: must be > 0, was 0",
                "stages[0].method.lora_alpha: must be > 0, was -1.0",
                "stages[0].method.lora_dropout: must be in [0, 1), was 2.0",
                "stages[0].method.target_modules: must name at least one module");
    }
}
