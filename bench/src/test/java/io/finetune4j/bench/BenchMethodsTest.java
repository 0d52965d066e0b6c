package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchMethodsTest {
    private static final BenchPlugins PLUGINS = new ClassPathBenchPlugins();
    private static final BenchShape TINY = new BenchShape(2, 16, 2, 32, 8, 2, 2);

    @Test
    void defaultLoraKeepsTheFlopFormulaAndCountsPlainBaseBytes() {
        BenchResult result = LoraBenchmark.run(PLUGINS, TINY, 1, 0, 32, 0);

        assertThat(result.method()).isEqualTo("lora");
        assertThat(result.flopsApply()).isTrue();
        assertThat(result.adapterOptimizerBytes()).isEqualTo(12 * result.trainableParameters());
        // GPT-2 per layer: c_attn d·3d, c_proj d·d, c_fc d·4d, mlp c_proj 4d·d = 12d² floats.
        assertThat(result.baseLinearBytes()).isNotNull().isGreaterThanOrEqualTo(4L * 2 * 12 * 16 * 16);
        assertThat(result.toJson()).containsEntry("method", "lora").containsKeys("adapter_optimizer_bytes",
                "base_linear_bytes");
    }

    @Test
    void ia3ReportsItsOwnTrainableCount() {
        assertMatchesMethod("ia3", Map.of());
    }

    @Test
    void qloraReportsItsOwnTrainableCountAndItsQuantisedBaseBytes() {
        BenchResult result = assertMatchesMethod("qlora", Map.of("target_modules", "[c_attn]"));

        // 4-bit codes are 1/8 of the float32 bytes; the block constants add a little on top.
        long float32 = 4L * 2 * 12 * 16 * 16;
        assertThat(result.baseLinearBytes()).isNotNull().isBetween(float32 / 8, float32 / 4);
        assertThat(result.toJson()).containsKey("base_linear_bytes").containsEntry("mfu", null);
    }

    private static BenchResult assertMatchesMethod(String id, Map<String, String> sets) {
        BenchResult result = LoraBenchmark.run(PLUGINS, TINY, id, sets, 1, 0, 32, 0);

        long expected;
        try (var model = io.finetune4j.runtime.model.ModelFactory.random(io.finetune4j.runtime.model.ModelFactory
                .gpt2Config(TINY.vocab(), TINY.hidden(), TINY.layers(), TINY.heads(), TINY.seq()), null, null, 0,
                ai.djl.Device.cpu())) {
            expected = LoraBenchmark.apply(PLUGINS, model, id, sets, TINY.rank(), 0).trainableParameterCount();
        }
        assertThat(result.method()).isEqualTo(id);
        assertThat(result.flopsApply()).isFalse();
        assertThat(result.trainableParameters()).isPositive().isEqualTo(expected);
        assertThat(result.adapterOptimizerBytes()).isEqualTo(12 * expected);
        return result;
    }
}
