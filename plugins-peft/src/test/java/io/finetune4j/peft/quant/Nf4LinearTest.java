package io.finetune4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.model.DenseLinear;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Nf4LinearTest {
    private static final float[] NF4 = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    private NDManager manager;
    private QuantTables tables;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        tables = new QuantTables(manager);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /**
     * The weight {@code [out, in]} decoded in double precision from the stored fields alone: nibbles (high
     * first), the NF4 table, and the nested absmax {@code dynamic[q] * absmax2 + offset}.
     */
    private static double[] decode(Nf4Weights weights) {
        double[] dynamic = DynamicMapTest.bitsandbytesDynamicMap();
        double[] values = new double[weights.size()];
        for (int i = 0; i < values.length; i++) {
            int b = weights.packed()[i / 2] & 0xFF;
            int nibble = i % 2 == 0 ? b >> 4 : b & 15;
            int block = i / weights.blocksize();
            double scale = weights.doubleQuant()
                    ? dynamic[weights.quantizedAbsmax()[block] & 0xFF] * weights.absmax2()[block / 256] + weights.offset()
                    : weights.absmax()[block];
            values[i] = NF4[nibble] * scale;
        }
        return values;
    }

    @Test
    void forwardEqualsInputTimesDequantisedWeightPlusBias() {
        int in = 16;
        int out = 12;
        float[] w = gaussian(out * in, 1);
        float[] b = gaussian(out, 2);
        float[] x = gaussian(2 * 3 * in, 3);
        DenseLinear dense = new DenseLinear("proj", manager.create(w, new Shape(out, in)), manager.create(b), false);
        Nf4Linear layer = Nf4Linear.quantize(dense, 64, true, tables, manager);
        Nf4Weights weights = Nf4Weights.quantize(w, 64, true);
        assertThat(layer.packedBytes()).containsExactly(weights.packed());
        double[] dq = decode(weights);

        float[] y;
        try (NDManager step = manager.newSubManager()) {
            NDArray result = layer.forward(step.create(x, new Shape(2, 3, in)), false);
            assertThat(result.getShape()).isEqualTo(new Shape(2, 3, out));
            assertThat(result.getManager()).isSameAs(step);
            y = result.toFloatArray();
        }
        for (int row = 0; row < 6; row++) {
            for (int o = 0; o < out; o++) {
                double expected = b[o];
                for (int i = 0; i < in; i++) {
                    expected += x[row * in + i] * dq[o * in + i];
                }
                assertThat((double) y[row * out + o]).isCloseTo(expected, within(1e-4));
            }
        }
    }

    @Test
    void conv1dWeightIsQuantisedInOutInLayoutAndReturnedStored() {
        int in = 8;
        int out = 16;
        float[] stored = gaussian(in * out, 4); // [in, out]
        float[] logical = new float[in * out];  // [out, in]
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                logical[o * in + i] = stored[i * out + o];
            }
        }
        DenseLinear conv = new DenseLinear("c_attn", manager.create(stored, new Shape(in, out)), null, true);
        Nf4Linear layer = Nf4Linear.quantize(conv, 64, false, tables, manager);
        double[] dq = decode(Nf4Weights.quantize(logical, 64, false));

        assertThat(layer.transposed()).isTrue();
        NDArray weight = layer.weight();
        assertThat(weight.getShape()).isEqualTo(new Shape(in, out));
        float[] copy = weight.toFloatArray();
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                assertThat((double) copy[i * out + o]).isCloseTo(dq[o * in + i], within(1e-6));
            }
        }
        float[] x = gaussian(in, 5);
        try (NDManager step = manager.newSubManager()) {
            float[] y = layer.forward(step.create(x, new Shape(1, in)), false).toFloatArray();
            for (int o = 0; o < out; o++) {
                double expected = 0;
                for (int i = 0; i < in; i++) {
                    expected += x[i] * dq[o * in + i];
                }
                assertThat((double) y[o]).isCloseTo(expected, within(1e-4));
            }
        }
        layer.releaseWeightCopy();
    }

    @Test
    void keepsOnlyUint8CodesAndSmallConstants() {
        DenseLinear dense = new DenseLinear("proj", manager.create(gaussian(64 * 64, 6), new Shape(64, 64)), null, false);
        Nf4Linear layer = Nf4Linear.quantize(dense, 64, true, tables, manager);

        // 4096 elements: 2048 packed bytes, 64 absmax codes, one nested float, one offset float
        assertThat(layer.storageBytes()).isEqualTo(2048 + 64 + 4 + 4);
        assertThat(layer.scheme()).isEqualTo("nf4+dq");
    }

    @Test
    void materialisedLayerKeepsItsValuesAndReturnsOneArray() {
        float[] w = gaussian(8 * 16, 7);
        DenseLinear dense = new DenseLinear("proj", manager.create(w, new Shape(8, 16)), null, false);
        Nf4Linear layer = Nf4Linear.quantize(dense, 64, true, tables, manager);
        float[] before = layer.weight().toFloatArray();

        layer.materialize();

        assertThat(layer.materialized()).isTrue();
        assertThat(layer.weight()).isSameAs(layer.weight());
        assertThat(layer.weight().getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(layer.weight().toFloatArray()).containsExactly(before);
    }

    @Test
    void forwardAndWeightCopiesLeaveNothingBehindInTheModelsManager() {
        DenseLinear dense = new DenseLinear("proj", manager.create(gaussian(24 * 40, 8), new Shape(24, 40)),
                manager.create(gaussian(24, 9)), false);
        List<QuantizedLinear> layers = List.of(Nf4Linear.quantize(dense, 64, true, tables, manager),
                Nf4Linear.quantize(dense, 64, false, tables, manager), Int8Linear.quantize(dense, manager));
        int before = manager.getManagedArrays().size();
        // sub-managers are counted: weight, bias, 3 tables (nf4, fp4, dynamic), 4 (nf4+dq) + 2 (nf4) + 2 (int8)
        // quantised arrays
        assertThat(before).isEqualTo(2 + 3 + 4 + 2 + 2);

        for (QuantizedLinear layer : layers) {
            try (NDManager step = NDManager.newBaseManager()) { // not a child: its arrays are not counted
                layer.forward(step.create(gaussian(3 * 40, 10), new Shape(3, 40)), false);
                layer.dequantize(step);
            }
            layer.weight();
            layer.releaseWeightCopy();
        }

        assertThat(manager.getManagedArrays()).hasSize(before);
    }
}
