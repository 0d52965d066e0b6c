package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a checkpoint.
 *
 * @param tensors by name in file order; floating tensors as float32, integer tensors in their own type
 * @param storedTypes the type each tensor had in the file (FLOAT32, FLOAT16, BFLOAT16, ...), so a save can
 *     write it back the same way
 */
public record LoadedTensors(Map<String, NDArray> tensors, Map<String, DataType> storedTypes) {
    public LoadedTensors {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        storedTypes = Collections.unmodifiableMap(new LinkedHashMap<>(storedTypes));
    }
}
