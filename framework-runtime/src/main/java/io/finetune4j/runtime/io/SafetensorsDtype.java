package io.finetune4j.runtime.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The element types this runtime reads and writes in safetensors files, with their names in the header. */
public enum SafetensorsDtype {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT16),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    BOOL(1, DataType.BOOLEAN);

    private final int byteSize;
    private final DataType dataType;

    SafetensorsDtype(int byteSize, DataType dataType) {
        this.byteSize = byteSize;
        this.dataType = dataType;
    }

    /** Bytes per element in the file. */
    public int byteSize() {
        return byteSize;
    }

    /** The DJL type this dtype corresponds to (what {@link LoadedTensors#storedTypes()} reports). */
    public DataType dataType() {
        return dataType;
    }

    /**
     * The type arrays of this dtype load as: float32 for every floating dtype, int32 for I16 (creating an
     * INT16 array aborts the JVM on DJL's PyTorch CPU engine, as BFLOAT16 does), else the dtype's own type.
     */
    public DataType loadedType() {
        if (isFloating()) {
            return DataType.FLOAT32;
        }
        return this == I16 ? DataType.INT32 : dataType;
    }

    /** F64, F32, F16 and BF16: loaded as float32 arrays. */
    public boolean isFloating() {
        return dataType.isFloating();
    }

    /** The dtype named {@code name} in a safetensors header ({@code "BF16"}), if supported. */
    public static Optional<SafetensorsDtype> fromHeaderName(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }

    /** The dtype that stores DJL's {@code type}, if there is one. */
    public static Optional<SafetensorsDtype> of(DataType type) {
        return Arrays.stream(values()).filter(d -> d.dataType == type).findFirst();
    }

    /** Header names of every supported dtype, for error messages. */
    public static List<String> headerNames() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
