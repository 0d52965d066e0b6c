package io.finetune4j.peft.ia3;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class Ia3MethodProviderTest implements MethodProviderContract<Ia3Config> {
    @Override
    public Ia3MethodProvider provider() {
        return new Ia3MethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.llama(1), 3));
    }

    private static List<String> problems(Ia3Config config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new Ia3MethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsArePeftDefaultsForBothFamilies() {
        assertThat(provider().defaults()).isEqualTo(new Ia3Config(
                List.of("k_proj", "v_proj", "down_proj", "c_attn", "mlp.c_proj"), List.of("down_proj", "mlp.c_proj")));
        assertThat(provider().peftType()).contains("IA3");
    }

    @Test
    void rejectsEmptyTargetModules() {
        assertThat(problems(new Ia3Config(List.of(), List.of())))
                .containsExactly("stages[0].method.target_modules: must name at least one module");
    }

    @Test
    void rejectsABlankTarget() {
        assertThat(problems(new Ia3Config(List.of("k_proj", " "), List.of())))
                .containsExactly("stages[0].method.target_modules[1]: must not be empty");
    }

    @Test
    void rejectsFeedforwardModulesOutsideTheTargets() {
        assertThat(problems(new Ia3Config(List.of("k_proj", "v_proj"), List.of("down_proj"))))
                .containsExactly("stages[0].method.feedforward_modules[0]: 'down_proj' is not in target_modules"
                        + " [k_proj, v_proj]");
    }
}
