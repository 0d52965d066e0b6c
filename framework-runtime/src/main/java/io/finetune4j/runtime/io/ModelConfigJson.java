package io.finetune4j.runtime.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.family.ConfigKeys;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code config.json} ↔ {@link ModelConfig}. Each {@link io.finetune4j.runtime.model.family.ModelFamily}
 * reads and writes its own keys, with the defaults of its transformers config class; the keys that fix the
 * shape of the weights are required. Every problem is reported at once, each naming the file and the key.
 */
public final class ModelConfigJson {
    /** The {@code model_type} values this runtime runs. */
    public static final List<String> SUPPORTED_MODEL_TYPES = ModelFamilies.modelTypes();

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelConfigJson() {}

    /** Parses the text of a config.json; {@code source} names the file in messages. */
    @SuppressWarnings("unchecked")
    public static ModelConfig parse(String json, String source) {
        Object value;
        try {
            value = JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(value instanceof Map)) {
            throw new ConfigException(source + ": must be a JSON object");
        }
        return fromMap((Map<String, Object>) value, source);
    }

    /** Builds a {@link ModelConfig} from a parsed config.json, which becomes its {@code raw()}. */
    public static ModelConfig fromMap(Map<String, Object> raw, String source) {
        Object modelType = raw.get("model_type");
        if (modelType == null) {
            throw new ConfigException(String.format("%s: missing required key 'model_type'; supported: %s",
                    source, SUPPORTED_MODEL_TYPES));
        }
        if (!ModelFamilies.supports(modelType.toString())) {
            throw new ConfigException(String.format("%s: model_type '%s' is not supported; supported: %s",
                    source, modelType, SUPPORTED_MODEL_TYPES));
        }
        ConfigKeys keys = new ConfigKeys(raw, source);
        ModelConfig config = ModelFamilies.of(modelType.toString(), source).parse(modelType.toString(), keys);
        if (!keys.problems().isEmpty()) {
            throw new ConfigException(keys.problems());
        }
        return config;
    }

    /**
     * The config.json content of {@code config}: its {@code raw()} when it has one, else the Hugging Face
     * keys of its fields (for configs built in code, e.g. tiny test models).
     */
    public static Map<String, Object> toMap(ModelConfig config) {
        if (!config.raw().isEmpty()) {
            return config.raw();
        }
        Map<String, Object> map = new LinkedHashMap<>(
                ModelFamilies.of(config.modelType(), "config").toConfigJson(config));
        map.put("torch_dtype", "float32");
        return map;
    }
}
