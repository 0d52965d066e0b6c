package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * Rotary position embedding tables (Su et al. 2021) in Hugging Face's half-rotation layout:
 * {@code inv_freq} from {@link RopeScaling}, {@code emb = cat(freqs, freqs)}, cos and sin of it,
 * computed in float32 the way {@code LlamaRotaryEmbedding} does, cached and grown on demand.
 */
public final class RotaryTable {
    private final NDManager manager;
    private final int headDim;
    private final float[] invFreq;
    private NDArray cos;
    private NDArray sin;
    private long size;

    /** @param invFreq {@code head_dim / 2} inverse frequencies ({@link RopeScaling}) */
    public RotaryTable(NDManager manager, int headDim, float[] invFreq) {
        if (invFreq.length != headDim / 2) {
            throw new IllegalArgumentException(invFreq.length + " frequencies for head_dim " + headDim);
        }
        this.manager = manager;
        this.headDim = headDim;
        this.invFreq = invFreq.clone();
    }

    /**
     * Cos and sin at {@code positions} ({@code [rows, length]} int64, step-owned):
     * two {@code [rows, length, 1, head_dim]} arrays in the positions' manager, broadcast over heads.
     */
    public synchronized NDArray[] lookup(NDArray positions, long maxPosition) {
        ensure(maxPosition + 1);
        Shape shape = positions.getShape();
        Shape target = new Shape(shape.get(0), shape.get(1), 1, headDim); // [rows, length, 1, head_dim]
        NDArray c = positions.getNDArrayInternal().embedding(positions, cos, SparseFormat.DENSE).singletonOrThrow();
        NDArray s = positions.getNDArrayInternal().embedding(positions, sin, SparseFormat.DENSE).singletonOrThrow();
        return new NDArray[] {c.reshape(target), s.reshape(target)};
    }

    private void ensure(long needed) {
        if (needed <= size) {
            return;
        }
        long n = Math.max(256, Long.highestOneBit(needed - 1) * 2);
        int rows = Math.toIntExact(n);
        int half = invFreq.length;
        float[] cosData = new float[rows * headDim];
        float[] sinData = new float[rows * headDim];
        for (int p = 0; p < rows; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i]; // float32 like torch's inv_freq @ position_ids
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cosData[p * headDim + i] = c;
                cosData[p * headDim + half + i] = c;
                sinData[p * headDim + i] = s;
                sinData[p * headDim + half + i] = s;
            }
        }
        NDArray newCos = manager.create(cosData, new Shape(rows, headDim));
        NDArray newSin = manager.create(sinData, new Shape(rows, headDim));
        if (cos != null) {
            cos.close();
            sin.close();
        }
        cos = newCos;
        sin = newSin;
        size = n;
    }

    /** {@code x * cos + rotate_half(x) * sin}, {@code rotate_half(x) = cat(-x2, x1)}; x is {@code [batch, length, heads, head_dim]}. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        ai.djl.ndarray.NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
