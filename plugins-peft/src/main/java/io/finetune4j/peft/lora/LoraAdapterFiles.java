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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A LoRA adapter in Hugging Face PEFT's layout, so PEFT's {@code PeftModel.from_pretrained} reads what this
 * writes and the other way round: {@code adapter_config.json} (PEFT's keys, sorted as PEFT writes them) and
 * {@code adapter_model.safetensors} with float32 tensors named {@code base_model.model.<module>.lora_A.weight}
 * {@code [r, in]} and {@code ...lora_B.weight} {@code [out, r]}.
 */
final class LoraAdapterFiles {
    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LoraAdapterFiles() {}

    static void write(Path dir, LoraMethod method, String baseModelNameOrPath) {
        LoraConfig config = method.config();
        Map<String, Object> json = new TreeMap<>();
        json.put("alpha_pattern", Map.of());
        json.put("auto_mapping", null);
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("bias", "none");
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("inference_mode", true);
        json.put("init_lora_weights", true);
        json.put("layers_pattern", null);
        json.put("layers_to_transform", null);
        json.put("lora_alpha", number(config.loraAlpha()));
        json.put("lora_dropout", config.loraDropout());
        json.put("modules_to_save", null);
        json.put("peft_type", LoraMethod.PEFT_TYPE);
        json.put("r", config.r());
        json.put("rank_pattern", Map.of());
        json.put("revision", null);
        json.put("target_modules", method.savedTargetModules());
        json.put("task_type", "CAUSAL_LM");
        json.put("use_dora", false);
        json.put("use_rslora", false);

        Map<String, DataType> dtypes = new LinkedHashMap<>();
        method.trainableParameters().keySet().forEach(name -> dtypes.put(name, DataType.FLOAT32));
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), method.trainableParameters(), dtypes,
                Map.of("format", "pt"));
        AtomicFiles.writeAtomically(dir.resolve(CONFIG_FILE), temp -> JSON.writeValue(temp.toFile(), json));
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
        if (json.path("use_dora").asBoolean(false) || json.path("use_rslora").asBoolean(false)) {
            throw new ConfigException(configFile + ": use_dora and use_rslora adapters are not LoRA adapters"
                    + " this method can load");
        }

        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        Map<String, NDArray> parameters = method.trainableParameters();
        try (SafetensorsReader reader = SafetensorsReader.open(weightsFile);
             NDManager scratch = NDManager.newBaseManager()) {
            Set<String> extra = new TreeSet<>();
            reader.tensors().forEach(info -> extra.add(info.name()));
            extra.removeAll(parameters.keySet());
            if (!extra.isEmpty()) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: tensors %s have no adapted module in this model (target_modules %s)",
                        weightsFile, extra, config.targetModules()));
            }
            for (Map.Entry<String, NDArray> parameter : parameters.entrySet()) {
                String name = parameter.getKey();
                NDArray target = parameter.getValue();
                var info = reader.info(name).orElseThrow(() -> new ConfigException(
                        weightsFile + ": missing tensor '" + name + "'"));
                if (!info.shape().equals(target.getShape())) {
                    throw new ConfigException(String.format(Locale.ROOT,
                            "%s: tensor '%s' has shape %s, expected %s", weightsFile, name, info.shape(),
                            target.getShape()));
                }
                NDArray loaded = reader.load(name, scratch);
                target.set(loaded.toFloatArray());
            }
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
