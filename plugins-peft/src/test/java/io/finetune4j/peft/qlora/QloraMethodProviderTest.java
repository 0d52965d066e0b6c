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
                .isEqualTo(QloraConfig.of(new LoraConfig(64, 16.0, 0.05, List.of("all-linear")), "nf4", true, 64));
        // QLoRA paper (arXiv 2305.14314) appendix B.2: "r = 64, α = 16" on all linear layers
        assertThat(provider().defaults().lora().r()).isEqualTo(64);
        assertThat(provider().peftType()).contains("LORA");
    }

    @Test
    void rejectsUnknownQuantTypeAndAcceptsFp4() {
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf8", true, 64)))
                .containsExactly("stages[0].method.config.quant_type: must be one of [nf4, fp4, int8], was nf8");
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "fp4", true, 64))).isEmpty();
    }

    @Test
    void rejectsBfloat16ComputeDtypeNamingTheField() {
        for (String bf16 : List.of("bfloat16", "bf16", "torch.bfloat16", "BFLOAT16")) {
            assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf4", true, 64, bf16)))
                    .containsExactly("stages[0].method.config.compute_dtype: bfloat16 is not supported on a CPU device:"
                            + " DJL's PyTorch CPU engine aborts the JVM on bf16 tensors; use float32");
        }
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "fp4", true, 64, "float16")))
                .containsExactly("stages[0].method.config.compute_dtype: must be float32 (quantised layers dequantise"
                        + " and compute in float32), was float16");
        assertThat(problems(QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf4", true, 64, "float32")))
                .isEmpty();
    }

    @Test
    void createRefusesBfloat16BeforeTouchingTheModel() {
        try (var model = QloraTinyModels.llama(2)) {
            QloraConfig bf16 = QloraConfig.of(new LoraConfig(8, 16.0, 0.0, List.of("q_proj")), "nf4", true, 64, "bfloat16");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> provider().create(bf16, new QloraTinyModels.Context(model, 1)))
                    .isInstanceOf(io.finetune4j.api.ConfigException.class)
                    .hasMessage("compute_dtype: bfloat16 is not supported on a CPU device: DJL's PyTorch CPU engine"
                            + " aborts the JVM on bf16 tensors; use float32");
            assertThat(model.linears().values()).noneMatch(linear -> linear instanceof io.finetune4j.peft.quant.QuantizedLinear);
        }
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
