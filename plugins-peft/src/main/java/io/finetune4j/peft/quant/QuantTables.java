package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Lookup tables shared by every quantised layer of one model, as native arrays: the NF4 and the FP4 code of
 * both nibbles of every byte value, and bitsandbytes' dynamic 8-bit map. About 5 KB in total.
 */
public final class QuantTables implements AutoCloseable {
    private final NDManager manager;
    private final NDArray nf4Pairs;
    private final NDArray fp4Pairs;
    private final NDArray dynamicCode;

    /** Creates the tables in a new sub-manager of {@code parent}. */
    public QuantTables(NDManager parent) {
        this.manager = parent.newSubManager();
        this.nf4Pairs = manager.create(codePairs(FourBitType.NF4), new Shape(256, 2));   // [byte, 2]
        this.fp4Pairs = manager.create(codePairs(FourBitType.FP4), new Shape(256, 2));   // [byte, 2]
        this.dynamicCode = manager.create(DynamicMap.code(), new Shape(256, 1)); // [code, 1]
    }

    private static float[] codePairs(FourBitType type) {
        float[] pairs = new float[256 * 2];
        for (int b = 0; b < 256; b++) {
            pairs[2 * b] = type.value(b >>> 4);      // first element: high nibble
            pairs[2 * b + 1] = type.value(b & 0x0F); // second element: low nibble
        }
        return pairs;
    }

    /** {@code [256, 2]}: row {@code b} holds the NF4 values of byte {@code b}'s high and low nibble. */
    NDArray nf4Pairs() {
        return nf4Pairs;
    }

    /** {@code [256, 2]}: row {@code b} holds the values of byte {@code b}'s high and low nibble in {@code type}. */
    NDArray pairs(FourBitType type) {
        return type == FourBitType.FP4 ? fp4Pairs : nf4Pairs;
    }

    /** {@code [256, 1]}: the dynamic 8-bit map. */
    NDArray dynamicCode() {
        return dynamicCode;
    }

    /** Bytes the tables hold. */
    public long storageBytes() {
        return 4L * (nf4Pairs.size() + fp4Pairs.size() + dynamicCode.size());
    }

    @Override
    public void close() {
        manager.close();
    }
}
