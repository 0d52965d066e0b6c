package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.ModelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a Hugging Face checkpoint directory: {@code config.json} and the weights of
 * {@code model.safetensors} or of the shards listed by {@code model.safetensors.index.json}.
 */
@Stable
public final class CheckpointReader {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private CheckpointReader() {}

    /** Parses dir/config.json into ModelConfig (model_type llama|mistral|qwen2|gpt2), ConfigException naming file+key on error. */
    public static ModelConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        return ModelConfigJson.parse(readText(file, "a Hugging Face checkpoint directory needs one"), file.toString());
    }

    /** Reads model.safetensors or the shards of model.safetensors.index.json into {@code manager}, as float32. */
    public static LoadedTensors readWeights(Path dir, NDManager manager) {
        Path single = dir.resolve(WEIGHTS);
        Path index = dir.resolve(WEIGHTS_INDEX);
        if (Files.isRegularFile(single)) {
            try (SafetensorsReader reader = SafetensorsReader.open(single)) {
                return load(List.of(new Shard(reader, names(reader))), manager);
            }
        }
        if (Files.isRegularFile(index)) {
            return readSharded(dir, index, manager);
        }
        if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new ConfigException(String.format("%s: only pytorch_model.bin found; finetune4j reads safetensors "
                    + "weights only. Convert once with Python: from transformers import AutoModelForCausalLM; "
                    + "AutoModelForCausalLM.from_pretrained('%s').save_pretrained('%s', safe_serialization=True)",
                    dir, dir, dir));
        }
        throw new ConfigException(String.format("%s: no weights found; looked for %s and %s", dir, WEIGHTS, WEIGHTS_INDEX));
    }

    private record Shard(SafetensorsReader reader, Set<String> names) {}

    private static Set<String> names(SafetensorsReader reader) {
        return reader.tensors().stream().map(SafetensorsReader.TensorInfo::name).collect(Collectors.toSet());
    }

    private static LoadedTensors readSharded(Path dir, Path index, NDManager manager) {
        Map<String, List<String>> byShard = weightMap(index);
        List<Shard> shards = new ArrayList<>();
        try {
            for (Map.Entry<String, List<String>> entry : byShard.entrySet()) {
                Path file = dir.resolve(entry.getKey());
                if (!Files.isRegularFile(file)) {
                    throw new ConfigException(String.format("%s: tensor '%s' is mapped to shard '%s', which does not exist",
                            index, entry.getValue().get(0), entry.getKey()));
                }
                SafetensorsReader reader = SafetensorsReader.open(file);
                shards.add(new Shard(reader, new HashSet<>(entry.getValue())));
                for (String name : entry.getValue()) {
                    if (!reader.contains(name)) {
                        throw new ConfigException(String.format("%s: tensor '%s' is mapped to shard '%s', which does not hold it",
                                index, name, entry.getKey()));
                    }
                }
            }
            return load(shards, manager);
        } finally {
            shards.forEach(shard -> shard.reader().close());
        }
    }

    /** weight_map grouped by shard, shards in first-mention order, tensors in each shard's file order. */
    private static Map<String, List<String>> weightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(readText(index, "it lists the weight shards"));
        } catch (JsonProcessingException e) {
            throw new ConfigException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ConfigException(index + ": 'weight_map' must be a non-empty object of tensor name to shard file");
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode shard = entry.getValue();
            if (!shard.isTextual() || !isPlainFileName(shard.textValue())) {
                throw new ConfigException(String.format("%s: tensor '%s': shard must be a file name in the same directory, was %s",
                        index, entry.getKey(), shard));
            }
            byShard.computeIfAbsent(shard.textValue(), k -> new ArrayList<>()).add(entry.getKey());
        }
        return byShard;
    }

    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.equals(".") && !name.equals("..");
    }

    private static LoadedTensors load(List<Shard> shards, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        try {
            for (Shard shard : shards) {
                for (SafetensorsReader.TensorInfo info : shard.reader().tensors()) {
                    if (!shard.names().contains(info.name())) {
                        continue; // not in the index: transformers would not load it either
                    }
                    tensors.put(info.name(), shard.reader().load(info.name(), manager));
                    types.put(info.name(), info.dtype().dataType());
                }
            }
        } catch (RuntimeException e) {
            tensors.values().forEach(NDArray::close);
            throw e;
        }
        return new LoadedTensors(tensors, types);
    }

    static String readText(Path file, String why) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found; " + why, e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
