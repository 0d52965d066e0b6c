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
    void defaultsLeaveTheTargetsToTheModelType() {
        assertThat(provider().defaults()).isEqualTo(new Ia3Config(List.of(), List.of()));
        assertThat(provider().peftType()).contains("IA3");
    }

    /** PEFT v0.20 utils/constants.py TRANSFORMERS_MODELS_TO_IA3_{TARGET,FEEDFORWARD}_MODULES_MAPPING. */
    @Test
    void emptyTargetsResolveToPeftsTableForTheModelType() {
        Ia3Config defaults = provider().defaults();
        assertThat(defaults.forModelType("qwen2"))
                .isEqualTo(new Ia3Config(List.of("q_proj", "v_proj", "down_proj"), List.of("down_proj")));
        assertThat(defaults.forModelType("llama"))
                .isEqualTo(new Ia3Config(List.of("k_proj", "v_proj", "down_proj"), List.of("down_proj")));
        assertThat(defaults.forModelType("gpt2"))
                .isEqualTo(new Ia3Config(List.of("c_attn", "mlp.c_proj"), List.of("mlp.c_proj")));
        Ia3Config explicit = new Ia3Config(List.of("o_proj"), List.of());
        assertThat(explicit.forModelType("qwen2")).isSameAs(explicit);
    }

    @Test
    void rejectsFeedforwardModulesWithoutTargets() {
        assertThat(problems(new Ia3Config(List.of(), List.of("down_proj"))))
                .containsExactly("stages[0].method.feedforward_modules: must be empty when target_modules is (both"
                        + " then come from PEFT's table for the model), was [down_proj]");
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
