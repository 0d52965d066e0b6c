package io.finetune4j.runtime.io.gguf;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A tensor to write: its GGUF name, its shape in row-major order (numpy's, the reverse of ggml's {@code ne}), the
 * encoding, and its float32 values, asked for only when the writer reaches it.
 */
public record GgufTensor(String name, long[] shape, GgufTensorType type, Supplier<float[]> values) {
    public GgufTensor {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(type, "type is null");
        Objects.requireNonNull(values, "values is null");
        shape = shape.clone();
        if (shape.length == 0 || shape.length > 4) {
            throw new IllegalArgumentException(name + ": GGUF tensors have 1 to 4 dimensions, was " + shape.length);
        }
        if (type.blockSize() > 1 && shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException(String.format("%s: %s needs rows of a multiple of %d values, rows are %d",
                    name, type.label(), type.blockSize(), shape[shape.length - 1]));
        }
    }

    public long elements() {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
