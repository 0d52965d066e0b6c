package io.finetune4j.runtime.io.gguf;

import java.util.Locale;

/** The tensor encodings this package writes and reads ({@code GGMLQuantizationType} ids of gguf-py's constants.py). */
public enum GgufTensorType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q8_0(8, 32, 34);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgufTensorType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() {
        return id;
    }

    /** Elements per block: 32 for Q8_0, 1 for the float types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes of {@code elements} values; {@code elements} must be a multiple of {@link #blockSize()}. */
    public long byteSize(long elements) {
        return elements / blockSize * blockBytes;
    }

    /** The type whose file id is {@code id}, or null when this package does not decode it. */
    public static GgufTensorType ofId(long id) {
        for (GgufTensorType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        return null;
    }

    /** {@code f32}, {@code f16} or {@code q8_0}, as the command line writes it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
