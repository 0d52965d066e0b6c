package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A LoRA adapter in Hugging Face PEFT's layout, so PEFT's {@code PeftModel.from_pretrained} reads what this
 * writes and the other way round: {@code adapter_config.json} (PEFT's keys, sorted as PEFT writes them) and
 * {@code adapter_model.safetensors} with float32 tensors named {@code base_model.model.<module>.lora_A.weight}
 * {@code [r, in]}, {@code ...lora_B.weight} {@code [out, r]}, DoRA's {@code ...lora_magnitude_vector}
 * {@code [out]}, trained biases ({@code ...<module>.base_layer.bias} for adapted layers,
 * {@code ...<module>.bias} otherwise) and modules to save ({@code base_model.model.<module>.weight}).
 */
final class LoraAdapterFiles {
    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LoraAdapterFiles() {}

    static void write(Path dir, LoraMethod method, String baseModelNameOrPath) {
        LoraConfig config = method.config();
        Map<String, Object> json = new TreeMap<>();
        Map<String, Object> alphaPattern = new LinkedHashMap<>();
        config.alphaPattern().forEach((key, value) -> alphaPattern.put(key, number(value)));
        json.put("alpha_pattern", alphaPattern);
        json.put("auto_mapping", null);
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("bias", config.bias());
        json.put("exclude_modules", unsetIfEmpty(config.excludeModules()));
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("inference_mode", true);
        json.put("init_lora_weights", config.initLoraWeights());
        json.put("layers_pattern", unsetIfEmpty(config.layersPattern()));
        json.put("layers_to_transform", unsetIfEmpty(config.layersToTransform()));
        json.put("lora_alpha", number(config.loraAlpha()));
        json.put("lora_dropout", config.loraDropout());
        json.put("modules_to_save", unsetIfEmpty(config.modulesToSave()));
        json.put("peft_type", LoraMethod.PEFT_TYPE);
        json.put("r", config.r());
        json.put("rank_pattern", config.rankPattern());
        json.put("revision", null);
        json.put("target_modules", method.savedTargetModules());
        json.put("task_type", "CAUSAL_LM");
        json.put("use_dora", config.useDora());
        json.put("use_rslora", config.useRslora());

        Map<String, DataType> dtypes = new LinkedHashMap<>();
        method.trainableParameters().keySet().forEach(name -> dtypes.put(name, DataType.FLOAT32));
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), method.trainableParameters(), dtypes,
                Map.of("format", "pt"));
        AtomicFiles.writeAtomically(dir.resolve(CONFIG_FILE), temp -> JSON.writeValue(temp.toFile(), json));
    }

    /** PEFT writes null for an unset list or string. */
    private static Object unsetIfEmpty(Object value) {
        return value instanceof java.util.Collection<?> c && c.isEmpty() || "".equals(value) ? null : value;
    }

    /** Checks {@code dir}'s adapter against {@code method} and copies its tensors into the adapter arrays. */
    static void read(Path dir, LoraMethod method) {
        Path configFile = dir.resolve(CONFIG_FILE);
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(configFile));
        } catch (NoSuchFileException e) {
            throw new ConfigException(configFile + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(configFile + ": cannot read: " + e.getMessage(), e);
        }
        LoraConfig config = method.config();
        String peftType = json.path("peft_type").asText("");
        if (!LoraMethod.PEFT_TYPE.equals(peftType)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: peft_type is '%s', expected '%s'", configFile, peftType, LoraMethod.PEFT_TYPE));
        }
        checkSame(configFile, "r", json.path("r").asDouble(Double.NaN), config.r());
        checkSame(configFile, "lora_alpha", json.path("lora_alpha").asDouble(Double.NaN), config.loraAlpha());
        // These change the function the same tensors compute, so a mismatch must not load silently.
        checkFlag(configFile, "use_dora", json.path("use_dora").asBoolean(false), config.useDora());
        checkFlag(configFile, "use_rslora", json.path("use_rslora").asBoolean(false), config.useRslora());
        checkPattern(configFile, "alpha_pattern", json.path("alpha_pattern"), config.alphaPattern());
        checkPattern(configFile, "rank_pattern", json.path("rank_pattern"), config.rankPattern());

        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        Map<String, NDArray> parameters = method.trainableParameters();
        try (SafetensorsReader reader = SafetensorsReader.open(weightsFile);
             NDManager scratch = NDManager.newBaseManager()) {
            Set<String> extra = new TreeSet<>();
            reader.tensors().forEach(info -> extra.add(info.name()));
            Map<String, String> sources = new LinkedHashMap<>();
            for (String name : parameters.keySet()) {
                for (String alias : aliases(name, method)) {
                    if (extra.contains(alias)) {
                        sources.put(name, alias);
                        break;
                    }
                }
            }
            extra.removeAll(sources.values());
            if (!extra.isEmpty()) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: tensors %s have no adapted module in this model (target_modules %s)",
                        weightsFile, extra, config.targetModules()));
            }
            for (Map.Entry<String, NDArray> parameter : parameters.entrySet()) {
                String name = parameter.getKey();
                NDArray target = parameter.getValue();
                String source = sources.get(name);
                if (source == null) {
                    throw new ConfigException(weightsFile + ": missing tensor '" + name + "'");
                }
                var info = reader.info(source).orElseThrow();
                if (!info.shape().equals(target.getShape())) {
                    throw new ConfigException(String.format(Locale.ROOT,
                            "%s: tensor '%s' has shape %s, expected %s", weightsFile, source, info.shape(),
                            target.getShape()));
                }
                NDArray loaded = reader.load(source, scratch);
                target.set(loaded.toFloatArray());
            }
        }
    }

    /**
     * The names a tensor may have in a file: ours (PEFT's current names) first, then older PEFT spellings:
     * {@code lora_magnitude_vector.weight} (before PEFT 0.12 removed the suffix), a module to save under
     * {@code modules_to_save.default}, and an adapted layer's bias without {@code base_layer}.
     */
    private static List<String> aliases(String name, LoraMethod method) {
        List<String> aliases = new ArrayList<>(List.of(name));
        if (name.endsWith(".lora_magnitude_vector")) {
            aliases.add(name + ".weight");
        } else if (name.endsWith(".base_layer.bias")) {
            aliases.add(name.substring(0, name.length() - ".base_layer.bias".length()) + ".bias");
        } else {
            String module = name.substring(LoraMethod.PREFIX.length(), name.lastIndexOf('.'));
            if (method.savedModules().containsKey(module)) {
                aliases.add(LoraMethod.PREFIX + module + ".modules_to_save.default" + name.substring(name.lastIndexOf('.')));
            }
        }
        return aliases;
    }

    private static void checkFlag(Path file, String key, boolean saved, boolean expected) {
        if (saved != expected) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s is %s, but the method was created with %s %s", file, key, saved, key, expected));
        }
    }

    private static void checkPattern(Path file, String key, JsonNode saved, Map<String, ? extends Number> expected) {
        Map<String, Double> savedValues = new TreeMap<>();
        if (saved.isObject()) {
            saved.fields().forEachRemaining(entry -> savedValues.put(entry.getKey(), entry.getValue().asDouble()));
        }
        Map<String, Double> expectedValues = new TreeMap<>();
        expected.forEach((name, value) -> expectedValues.put(name, value.doubleValue()));
        if (!savedValues.equals(expectedValues)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s is %s, but the method was created with %s %s", file, key, savedValues, key, expectedValues));
        }
    }

    private static void checkSame(Path file, String key, double saved, double expected) {
        if (saved != expected) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s is %s, but the method was created with %s %s", file, key, number(saved), key,
                    number(expected)));
        }
    }

    /** Whole numbers as JSON integers, as PEFT's own configs hold {@code lora_alpha: 16}. */
    private static Object number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? (Object) (long) value : (Object) value;
    }
}
