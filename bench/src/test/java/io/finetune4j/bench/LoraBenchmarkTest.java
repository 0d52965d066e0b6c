package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoraBenchmarkTest {
    @Test
    void tinyBenchmarkTrainsOnlyTheAdapters() {
        BenchShape shape = new BenchShape(2, 16, 2, 32, 8, 2, 2);

        BenchResult result = LoraBenchmark.run(new ClassPathBenchPlugins(), shape, 2, 1, 64, 0);

        // One A [r, d] and one B [3d, r] per c_attn.
        assertThat(result.trainableParameters()).isEqualTo(2L * (2 * 16 + 3 * 16 * 2));
        assertThat(result.stepSeconds()).isPositive();
        assertThat(result.tokensPerSecond()).isEqualTo(16 / result.stepSeconds());
        assertThat(result.matmulGflops()).isPositive();
        assertThat(result.mfu()).isEqualTo(shape.stepFlops() / result.stepSeconds() / 1e9 / result.matmulGflops());
        // Random tokens over 32 ids: the loss of a near-uniform prediction is about ln 32.
        assertThat(result.firstLoss()).isBetween(Math.log(32) - 0.5, Math.log(32) + 0.5);
        assertThat(result.toJson()).containsKeys("tokens_per_second", "matmul_gflops", "mfu");
    }
}
