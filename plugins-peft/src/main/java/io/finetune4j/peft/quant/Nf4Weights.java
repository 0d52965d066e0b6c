package io.finetune4j.peft.quant;

/**
 * One weight quantised to a 4-bit type ({@link FourBitType}: NF4 or FP4) in plain Java arrays, laid out as
 * bitsandbytes' {@code quantize_4bit}: the
 * flattened (row-major) weight in blocks of {@code blocksize}, one absmax per block, two 4-bit indices per
 * byte with the FIRST element in the HIGH nibble ({@code packed = q[::2] << 4 | q[1::2]}).
 *
 * <p>With double quantisation ({@code compress_statistics=True}) the absmax constants are stored as
 * bitsandbytes does: {@code offset = mean(absmax)}, then {@code quantize_blockwise(absmax - offset,
 * blocksize=256)} with the dynamic 8-bit map, giving {@code quantizedAbsmax} (one byte per block) and
 * {@code absmax2} (one float per 256 blocks); {@code absmax} is then null.
 *
 * <p>One difference in storage, not in values: a weight whose size is not a multiple of
 * {@code blocksize} is padded with zeros to whole blocks (bitsandbytes stores {@code ceil(n/2)} bytes), and
 * zeros change no block's absmax, so every real element dequantises exactly as bitsandbytes'.
 *
 * @param size number of real elements
 * @param packed {@code blocks * blocksize / 2} bytes
 * @param type the 4-bit code the indices refer to
 */
public record Nf4Weights(int size, int blocksize, byte[] packed, float[] absmax, byte[] quantizedAbsmax,
                         float[] absmax2, float offset, FourBitType type) {
    /** bitsandbytes' blocksize of the nested (double) quantisation. */
    public static final int NESTED_BLOCKSIZE = 256;

    public boolean doubleQuant() {
        return quantizedAbsmax != null;
    }

    public int blocks() {
        return packed.length * 2 / blocksize;
    }

    /**
     * {@code quantize_4bit(A, blocksize, quant_type="nf4", compress_statistics=doubleQuant)} over
     * {@code values} (the flattened {@code [out, in]} weight).
     */
    public static Nf4Weights quantize(float[] values, int blocksize, boolean doubleQuant) {
        return quantize(values, blocksize, doubleQuant, FourBitType.NF4);
    }

    /**
     * {@code quantize_4bit(A, blocksize, quant_type=type.id(), compress_statistics=doubleQuant)} over
     * {@code values} (the flattened {@code [out, in]} weight).
     */
    public static Nf4Weights quantize(float[] values, int blocksize, boolean doubleQuant, FourBitType type) {
        if (blocksize <= 0 || blocksize % 2 != 0) {
            throw new IllegalArgumentException("blocksize must be a positive even number, was " + blocksize);
        }
        int blocks = (values.length + blocksize - 1) / blocksize;
        byte[] packed = new byte[blocks * blocksize / 2];
        float[] absmax = new float[blocks];
        int[] pair = new int[2];
        for (int block = 0; block < blocks; block++) {
            int start = block * blocksize;
            int end = Math.min(values.length, start + blocksize);
            float max = 0f;
            for (int i = start; i < end; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            absmax[block] = max;
            // the kernel multiplies by the reciprocal (float), it does not divide
            float inverse = 1.0f / max;
            for (int i = start; i < start + blocksize; i += 2) {
                for (int k = 0; k < 2; k++) {
                    float x = i + k < end ? values[i + k] : 0f;
                    pair[k] = type.quantize(x * inverse);
                }
                packed[i / 2] = (byte) (pair[0] << 4 | pair[1]);
            }
        }
        if (!doubleQuant) {
            return new Nf4Weights(values.length, blocksize, packed, absmax, null, null, 0f, type);
        }
        // offset = absmax.mean() (summed in double, then float32; torch sums in float32, so the last bit may
        // differ); the centred values are padded with zeros to whole nested blocks
        double sum = 0;
        for (float value : absmax) {
            sum += value;
        }
        float offset = (float) (sum / blocks);
        int nested = (blocks + NESTED_BLOCKSIZE - 1) / NESTED_BLOCKSIZE;
        float[] centred = new float[nested * NESTED_BLOCKSIZE];
        for (int i = 0; i < blocks; i++) {
            centred[i] = absmax[i] - offset;
        }
        DynamicMap.Blockwise nestedState = DynamicMap.quantizeBlockwise(centred, NESTED_BLOCKSIZE);
        // one code per block is kept, as bitsandbytes (the padding was only for the nested absmax)
        return new Nf4Weights(values.length, blocksize, packed, null,
                java.util.Arrays.copyOf(nestedState.codes(), blocks), nestedState.absmax(), offset, type);
    }

    /** The per-block scales the dequantisation uses: stored, or {@code code[q] * absmax2 + offset}. */
    public float[] blockScales() {
        if (!doubleQuant()) {
            return absmax.clone();
        }
        float[] scales = new float[blocks()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = DynamicMap.value(quantizedAbsmax[i] & 0xFF) * absmax2[i / NESTED_BLOCKSIZE] + offset;
        }
        return scales;
    }

    /** {@code dequantize_4bit}: {@code code[nibble] * scale[block]} for the {@code size} real elements. */
    public float[] dequantize() {
        float[] scales = blockScales();
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            int b = packed[i / 2] & 0xFF;
            int index = i % 2 == 0 ? b >>> 4 : b & 0x0F;
            values[i] = type.value(index) * scales[i / blocksize];
        }
        return values;
    }

    /** Bytes these arrays hold: packed codes plus absmax, or quantised absmax + absmax2 + offset. */
    public long storageBytes() {
        long bytes = packed.length;
        if (doubleQuant()) {
            bytes += quantizedAbsmax.length + 4L * absmax2.length + 4;
        } else {
            bytes += 4L * absmax.length;
        }
        return bytes;
    }
}
