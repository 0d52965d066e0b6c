package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchShapeTest {
    @Test
    void tinyShapeMatchesAHandCount() {
        // B=1, T=2, L=1, d=4, V=8, r=1, one head. Forward matmuls (2·m·k·n each):
        //   c_attn [2,4]x[4,12] 192, scores [2,4]x[4,2] 32, P·V [2,2]x[2,4] 32, c_proj [2,4]x[4,4] 64,
        //   c_fc [2,4]x[4,16] 256, mlp c_proj [2,16]x[16,4] 256, LoRA x·Aᵀ [2,4]x[4,1] 16 and ·Bᵀ [2,1]x[1,12] 48,
        //   LM head on T-1 = 1 position [1,4]x[4,8] 64                                     forward = 960
        // Backward: frozen weights' input gradients 192+64+256+256+64 = 832, both operands of the two
        //   attention matmuls 2·(32+32) = 128, LoRA input and weight gradients 2·(16+48) = 128  backward = 1088
        BenchShape shape = new BenchShape(1, 4, 1, 8, 2, 1, 1);

        assertThat(shape.stepFlops()).isEqualTo(960 + 1088);
    }

    @Test
    void formulaMatchesAMatmulByMatmulCount() {
        for (BenchShape shape : new BenchShape[] {
                new BenchShape(2, 8, 2, 16, 4, 3, 2),
                new BenchShape(6, 512, 8, 8192, 256, 4, 8)}) {
            assertThat(shape.stepFlops()).as(shape.toString()).isEqualTo(countMatmuls(shape));
        }
    }

    @Test
    void defaultShapeIsAbout105Gflop() {
        assertThat(new BenchShape(6, 512, 8, 8192, 256, 4, 8).stepFlops()).isEqualTo(104_689_827_840L);
    }

    /** Walks the step's matmuls one by one: forward, then what backward needs with the base frozen. */
    private static long countMatmuls(BenchShape s) {
        long n = (long) s.batch() * s.seq();
        long d = s.hidden();
        long headDim = d / s.heads();
        long forward = 0;
        long backward = 0;
        for (int layer = 0; layer < s.layers(); layer++) {
            long[] frozen = {
                matmul(n, d, 3 * d),         // c_attn
                matmul(n, d, d),             // attention c_proj
                matmul(n, d, 4 * d),         // c_fc
                matmul(n, 4 * d, d)};        // mlp c_proj
            for (long f : frozen) {
                forward += f;
                backward += f;               // input gradient only
            }
            for (int b = 0; b < s.batch(); b++) {
                for (int h = 0; h < s.heads(); h++) {
                    long scores = matmul(s.seq(), headDim, s.seq());   // Q·Kᵀ
                    long mix = matmul(s.seq(), s.seq(), headDim);      // P·V
                    forward += scores + mix;
                    backward += 2 * (scores + mix);                    // gradients of both operands
                }
            }
            long adapter = matmul(n, d, s.rank()) + matmul(n, s.rank(), 3 * d);
            forward += adapter;
            backward += 2 * adapter;                                   // input and weight gradients
        }
        long head = matmul((long) s.batch() * (s.seq() - 1), d, s.vocab());
        forward += head;
        backward += head;                                              // tied, frozen: input gradient only
        return forward + backward;
    }

    private static long matmul(long m, long k, long n) {
        return 2 * m * k * n;
    }
}
