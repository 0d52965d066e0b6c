package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.finetune4j.api.model.Linear;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A frozen linear layer stored in 4 bits, bitsandbytes' {@code Linear4bit} with {@code quant_type="nf4"} or
 * {@code "fp4"} ({@link FourBitType}; the class keeps its first type's name):
 * the logical {@code [out, in]} weight (GPT-2 Conv1D weights are transposed first, as transformers'
 * bitsandbytes integration does) quantised by {@link Nf4Weights#quantize}, kept in native memory as
 * UINT8 arrays (packed codes, and with double quantisation the 8-bit absmax codes) plus small float32
 * constants. No float copy of the weight stays resident.
 *
 * <p>Forward dequantises into the step's manager ({@code x}'s), computes {@code x · Wᵀ + b} in float32
 * and lets the step free the float weight, as bitsandbytes' {@code dequantize_4bit} + {@code linear}
 * ({@code gemm_4bit}'s default implementation) does.
 *
 * <p>{@link #weight()} costs a full dequantisation and a float32 copy of the weight (4 bytes per element)
 * each call; the copy is kept until the next call, {@link #releaseWeightCopy()} or {@link #close()}.
 */
public final class Nf4Linear extends AbstractQuantizedLinear {
    private final int size;
    private final int blocks;
    private final int blocksize;
    private final boolean doubleQuant;
    private final FourBitType type;
    private final QuantTables tables;
    private NDArray packed;          // UINT8 [blocks * blocksize / 2]
    private NDArray absmax;          // FLOAT32 [blocks, 1], without double quantisation
    private NDArray quantizedAbsmax; // UINT8 [blocks]
    private NDArray absmax2;         // FLOAT32 [nested, 1]
    private NDArray offset;          // FLOAT32 [1]

    private Nf4Linear(Linear source, Nf4Weights weights, QuantTables tables, NDManager parent) {
        super(source, parent);
        this.size = weights.size();
        this.blocks = weights.blocks();
        this.blocksize = weights.blocksize();
        this.doubleQuant = weights.doubleQuant();
        this.type = weights.type();
        this.tables = Objects.requireNonNull(tables, "tables is null");
        this.packed = uint8(manager, weights.packed());
        if (doubleQuant) {
            this.quantizedAbsmax = uint8(manager, weights.quantizedAbsmax());
            this.absmax2 = manager.create(weights.absmax2(), new Shape(weights.absmax2().length, 1));
            this.offset = manager.create(new float[] {weights.offset()}, new Shape(1));
        } else {
            this.absmax = manager.create(weights.absmax(), new Shape(blocks, 1));
        }
    }

    /**
     * Quantises {@code source}'s weight to NF4 (its own arrays are left alone: the caller frees them).
     *
     * @param parent the quantised arrays live in a sub-manager of it (the model's manager)
     */
    public static Nf4Linear quantize(Linear source, int blocksize, boolean doubleQuant, QuantTables tables,
                                     NDManager parent) {
        return quantize(source, blocksize, doubleQuant, FourBitType.NF4, tables, parent);
    }

    /**
     * Quantises {@code source}'s weight to {@code type} (its own arrays are left alone: the caller frees them).
     *
     * @param parent the quantised arrays live in a sub-manager of it (the model's manager)
     */
    public static Nf4Linear quantize(Linear source, int blocksize, boolean doubleQuant, FourBitType type,
                                     QuantTables tables, NDManager parent) {
        float[] logical = logicalWeight(source);
        return new Nf4Linear(source, Nf4Weights.quantize(logical, blocksize, doubleQuant, type), tables, parent);
    }

    /** The weight as {@code [out, in]} row-major floats, transposing a Conv1D {@code [in, out]} weight. */
    static float[] logicalWeight(Linear source) {
        float[] stored = source.weight().toFloatArray();
        if (!source.transposed()) {
            return stored;
        }
        int in = source.inFeatures();
        int out = source.outFeatures();
        float[] logical = new float[stored.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                logical[o * in + i] = stored[i * out + o];
            }
        }
        return logical;
    }

    private static NDArray uint8(NDManager manager, byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return manager.create(buffer, new Shape(bytes.length), DataType.UINT8);
    }

    @Override
    protected NDArray decode(NDManager target) {
        // Every op leads with an array owned by `target`, so every intermediate is freed with it.
        NDArray bytes = packed.toType(DataType.INT64, true);
        bytes.attach(target);                                                           // [blocks * bs / 2]
        NDArray values = bytes.getNDArrayInternal()
                .embedding(bytes, tables.pairs(type), SparseFormat.DENSE).singletonOrThrow() // [blocks * bs / 2, 2]
                .reshape(blocks, blocksize);                                            // [blocks, bs]
        NDArray weight = values.mul(scales(target)).reshape(-1);                        // [blocks * bs]
        if (weight.size() != size) {
            weight = weight.get("0:" + size);
        }
        return weight.reshape(outFeatures(), inFeatures());                                                 // [out, in]
    }

    /** Per-block scales {@code [blocks, 1]} in {@code target}: absmax, or dequantised nested absmax + offset. */
    private NDArray scales(NDManager target) {
        if (!doubleQuant) {
            return absmax;
        }
        NDArray codes = quantizedAbsmax.toType(DataType.INT64, true);
        codes.attach(target);                                                           // [blocks]
        NDArray values = codes.getNDArrayInternal()
                .embedding(codes, tables.dynamicCode(), SparseFormat.DENSE).singletonOrThrow(); // [blocks, 1]
        // absmax2[block / 256] for every block: broadcast each nested scale over its 256 blocks
        long nested = absmax2.getShape().get(0);
        NDArray perBlock = target.zeros(new Shape(nested, Nf4Weights.NESTED_BLOCKSIZE))
                .addi(absmax2)                                                          // [nested, 256]
                .reshape(-1, 1)                                                         // [nested * 256, 1]
                .get("0:" + blocks);                                                    // [blocks, 1]
        return values.mul(perBlock).add(offset);
    }






    /** Measured from the arrays held: their element counts times their data types' sizes. */
    @Override
    protected long codeBytes() {
        long bytes = 0;
        for (NDArray array : new NDArray[] {packed, absmax, quantizedAbsmax, absmax2, offset}) {
            bytes += array == null ? 0 : QuantMemory.bytes(array);
        }
        return bytes;
    }

    @Override
    protected void dropCodes() {
        packed = absmax = quantizedAbsmax = absmax2 = offset = null;
    }

    @Override
    public String scheme() {
        return doubleQuant ? type.id() + "+dq" : type.id();
    }

    public int blocksize() {
        return blocksize;
    }

    /** The 4-bit code of the stored indices. */
    public FourBitType type() {
        return type;
    }

    /** The packed codes as stored (a copy), for tests and inspection. */
    public byte[] packedBytes() {
        return packed.toByteArray();
    }







}
