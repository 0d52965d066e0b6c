package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;

/**
 * Resident bytes of a model's quantised linear layers against the same layers in float32, counted from
 * the arrays the layers actually hold (codes, absmax, nested absmax and offset). Biases stay float32 in
 * both and are left out; the shared lookup tables ({@link QuantTables}, ~3 KB per model) are reported
 * apart.
 */
public final class QuantMemory {
    private QuantMemory() {}

    /**
     * @param quantizedBytes bytes the quantised weights hold
     * @param float32Bytes bytes the same weights take in float32 ({@code 4 · out · in})
     * @param layers number of quantised layers
     */
    public record Report(long quantizedBytes, long float32Bytes, int layers) {
        public double ratio() {
            return float32Bytes == 0 ? 0 : (double) quantizedBytes / float32Bytes;
        }

        @Override
        public String toString() {
            return String.format("%d quantised linear layers: %,d bytes vs %,d bytes in float32 (%.4f×)",
                    layers, quantizedBytes, float32Bytes, ratio());
        }
    }

    /** Over every layer of {@code model} whose base is a {@link QuantizedLinear}. */
    public static Report of(CausalLM model) {
        long quantized = 0;
        long float32 = 0;
        int layers = 0;
        for (Linear linear : model.linears().values()) {
            if (linear.base() instanceof QuantizedLinear layer) {
                quantized += layer.storageBytes();
                float32 += float32Bytes(layer);
                layers++;
            }
        }
        return new Report(quantized, float32, layers);
    }

    /** One layer. */
    public static Report of(QuantizedLinear layer) {
        return new Report(layer.storageBytes(), float32Bytes(layer), 1);
    }

    /** {@code 4 · in · out}: the layer's weight in float32. */
    public static long float32Bytes(Linear layer) {
        return 4L * layer.inFeatures() * layer.outFeatures();
    }

    /** Bytes an array holds: elements × element size. */
    public static long bytes(NDArray array) {
        return array.size() * array.getDataType().getNumOfBytes();
    }

    /**
     * The NF4 formula per weight element, in bits: 4 for the code, plus 32 / blocksize for a float32
     * absmax, or with double quantisation 8 / blocksize for the 8-bit absmax and 32 / (blocksize · 256) for
     * the nested float32 scale (the single float offset is negligible).
     */
    public static double nf4BitsPerElement(int blocksize, boolean doubleQuant) {
        return doubleQuant
                ? 4 + 8.0 / blocksize + 32.0 / (blocksize * (double) Nf4Weights.NESTED_BLOCKSIZE)
                : 4 + 32.0 / blocksize;
    }
}
