package io.finetune4j.peft.dylora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DyLoraMethodProviderTest implements MethodProviderContract<DyLoraConfig> {
    @Override
    public DyLoraMethodProvider provider() {
        return new DyLoraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.llama(1), 3));
    }

    private static List<String> problems(DyLoraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new DyLoraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsAreFrozenModeAtFullRank() {
        DyLoraConfig defaults = provider().defaults();
        assertThat(defaults.r()).isEqualTo(8);
        assertThat(defaults.frozen()).isTrue();
        assertThat(defaults.inferenceRank()).isEqualTo(8);
        assertThat(provider().peftType()).isEmpty();
    }

    @Test
    void rejectsARankAboveR() {
        assertThat(problems(new DyLoraConfig(4, 8.0, 0.0, List.of("q_proj"), true, 5, List.of())))
                .containsExactly("stages[0].method.rank: must be in [0, r] (0 means r = 4), was 5");
    }

    @Test
    void rejectsSaveRanksOutsideOneToR() {
        assertThat(problems(new DyLoraConfig(4, 8.0, 0.0, List.of("q_proj"), true, 0, List.of(2, 0, 9))))
                .containsExactly("stages[0].method.save_ranks[1]: must be in [1, r = 4], was 0",
                        "stages[0].method.save_ranks[2]: must be in [1, r = 4], was 9");
    }

    @Test
    void rejectsZeroRankAndAlpha() {
        assertThat(problems(new DyLoraConfig(0, 0.0, 0.0, List.of("q_proj"), true, 0, List.of())))
                .containsExactly("stages[0].method.r: must be > 0, was 0",
                        "stages[0].method.lora_alpha: must be > 0, was 0.0");
    }

    @Test
    void rejectsEmptyTargets() {
        assertThat(problems(new DyLoraConfig(4, 8.0, 0.0, List.of(), true, 0, List.of())))
                .containsExactly("stages[0].method.target_modules: must name at least one module");
    }
}
