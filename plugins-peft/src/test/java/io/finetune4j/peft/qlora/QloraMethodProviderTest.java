package io.finetune4j.peft.qlora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.lora.LoraConfig;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QloraMethodProviderTest implements MethodProviderContract<QloraConfig> {
    @Override
    public QloraMethodProvider provider() {
        return new QloraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new QloraTinyModels.Context(QloraTinyModels.llama(1), 3));
    }

    private static List<String> problems(QloraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method.config");
        new QloraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsAreTheQloraRecipe() {
        assertThat(provider().defaults())
                .isEqualTo(QloraConfig.of(new LoraConfig(8, 16.0, 0.05, List.of("all-linear")), "nf4", true, 64));
        assertThat(provider().peftType()).contains("LORA");
    }

    @Test
    void rejectsUnknownQuantTypeAndNamesFp4AsMissing() {
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf8", true, 64)))
                .containsExactly("stages[0].method.config.quant_type: must be nf4 or int8, was nf8");
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "fp4", true, 64)))
                .containsExactly("stages[0].method.config.quant_type: fp4 is not implemented; use nf4 or int8");
    }

    @Test
    void rejectsBlocksizeBitsandbytesDoesNotSupport() {
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf4", true, 48)))
                .containsExactly("stages[0].method.config.blocksize: must be one of"
                        + " [64, 128, 256, 512, 1024, 2048, 4096], was 48");
    }

    @Test
    void reportsLoraProblemsUnderTheSameKeys() {
        assertThat(problems(QloraConfig.of(new LoraConfig(0, 16.0, 0.0, List.of("q_proj")), "nf4", true, 64)))
                .containsExactly("stages[0].method.config.r: must be > 0, was 0");
    }

    @Test
    void rejectsPissaInitialisationOnAQuantisedBase() {
        LoraConfig pissa = new LoraConfig(8, 16.0, 0.0, List.of("q_proj"), List.of(), "none", false, "pissa",
                java.util.Map.of(), java.util.Map.of(), List.of(), List.of(), List.of(), false);

        assertThat(problems(QloraConfig.of(pissa, "nf4", true, 64)))
                .containsExactly("stages[0].method.config.init_lora_weights: pissa is not supported on a quantised base");
    }
}
