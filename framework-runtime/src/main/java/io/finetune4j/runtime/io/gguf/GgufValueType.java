package io.finetune4j.runtime.io.gguf;

/** The type of a GGUF metadata value ({@code gguf_metadata_value_type} of docs/gguf.md), with its id in the file. */
public enum GgufValueType {
    UINT8(0),
    INT8(1),
    UINT16(2),
    INT16(3),
    UINT32(4),
    INT32(5),
    FLOAT32(6),
    BOOL(7),
    STRING(8),
    ARRAY(9),
    UINT64(10),
    INT64(11),
    FLOAT64(12);

    private final int id;

    GgufValueType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** The type whose file id is {@code id}, or null. */
    public static GgufValueType ofId(long id) {
        for (GgufValueType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        return null;
    }
}
