package io.finetune4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.model.DenseLinear;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantMemoryTest {
    @Test
    void nf4WithDoubleQuantIsAboutThirteenPercentOfFloat32() {
        // 4 + 8/64 + 32/(64*256) = 4.126953125 bits per element; / 32 bits = 0.12896728515625
        double formula = (4 + 8.0 / 64 + 32.0 / (64 * 256)) / 32;
        assertThat(QuantMemory.nf4BitsPerElement(64, true) / 32).isEqualTo(formula);
        assertThat(formula).isCloseTo(0.129, within(0.0005));

        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(1);
            float[] w = new float[512 * 512];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (0.02 * random.nextGaussian());
            }
            DenseLinear dense = new DenseLinear("proj", manager.create(w, new Shape(512, 512)), null, false);
            QuantTables tables = new QuantTables(manager);

            QuantMemory.Report nested = QuantMemory.of(Nf4Linear.quantize(dense, 64, true, tables, manager));
            QuantMemory.Report plain = QuantMemory.of(Nf4Linear.quantize(dense, 64, false, tables, manager));
            QuantMemory.Report int8 = QuantMemory.of(Int8Linear.quantize(dense, manager));

            assertThat(nested.float32Bytes()).isEqualTo(4L * 512 * 512);
            // measured: 131072 packed + 4096 absmax codes + 16 * 4 nested absmax + 4 offset
            assertThat(nested.quantizedBytes()).isEqualTo(131072 + 4096 + 64 + 4);
            assertThat(nested.ratio()).isCloseTo(formula, within(1e-5));
            assertThat(plain.ratio()).isEqualTo((4 + 32.0 / 64) / 32); // 0.140625
            assertThat(int8.ratio()).isCloseTo(0.25 + 4.0 / (4 * 512), within(1e-9));
            System.out.printf("NF4+double quant %s; NF4 %s; int8 %s%n", nested, plain, int8);
        }
    }
}
