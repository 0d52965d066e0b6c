package io.finetune4j.runtime.io.gguf;

/**
 * A tensor as a GGUF file describes it.
 *
 * @param shape row-major (numpy) order: the reverse of the {@code ne} the file stores
 * @param offset bytes from the start of the tensor data section
 */
public record GgufTensorInfo(String name, long[] shape, GgufTensorType type, long offset) {
    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    public long byteSize() {
        return type.byteSize(elements());
    }
}
