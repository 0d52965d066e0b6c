package io.finetune4j.peft.ia3;

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
 * An (IA)³ adapter in Hugging Face PEFT's layout: {@code adapter_config.json} (PEFT's {@code IA3Config} keys,
 * sorted) and {@code adapter_model.safetensors} with float32 vectors named
 * {@code base_model.model.<module>.ia3_l} ({@code ia3_l} is a {@code ParameterDict}, so PEFT's state dict has
 * no {@code .weight} suffix once the adapter name is stripped), {@code [out, 1]} or {@code [1, in]}.
 */
final class Ia3AdapterFiles {
    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Ia3AdapterFiles() {}

    static void write(Path dir, Ia3Method method, String baseModelNameOrPath) {
        Map<String, Object> json = new TreeMap<>();
        json.put("auto_mapping", null);
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("exclude_modules", null);
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("feedforward_modules", method.savedFeedforwardModules());
        json.put("inference_mode", true);
        json.put("init_ia3_weights", true);
        json.put("modules_to_save", null);
        json.put("peft_type", Ia3Method.PEFT_TYPE);
        json.put("revision", null);
        json.put("target_modules", method.savedTargetModules());
        json.put("task_type", "CAUSAL_LM");

        Map<String, DataType> dtypes = new LinkedHashMap<>();
        method.trainableParameters().keySet().forEach(name -> dtypes.put(name, DataType.FLOAT32));
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), method.trainableParameters(), dtypes, Map.of("format", "pt"));
        AtomicFiles.writeAtomically(dir.resolve(CONFIG_FILE), temp -> JSON.writeValue(temp.toFile(), json));
    }

    /** Checks {@code dir}'s adapter against {@code method} and copies its vectors into the method's arrays. */
    static void read(Path dir, Ia3Method method) {
        Path configFile = dir.resolve(CONFIG_FILE);
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(configFile));
        } catch (NoSuchFileException e) {
            throw new ConfigException(configFile + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(configFile + ": cannot read: " + e.getMessage(), e);
        }
        String peftType = json.path("peft_type").asText("");
        if (!Ia3Method.PEFT_TYPE.equals(peftType)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: peft_type is '%s', expected '%s'", configFile, peftType, Ia3Method.PEFT_TYPE));
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
                        weightsFile, extra, method.config().targetModules()));
            }
            for (Map.Entry<String, NDArray> parameter : parameters.entrySet()) {
                String name = parameter.getKey();
                NDArray target = parameter.getValue();
                var info = reader.info(name).orElseThrow(() -> new ConfigException(
                        weightsFile + ": missing tensor '" + name + "'"));
                if (!info.shape().equals(target.getShape())) {
                    // a different shape means the module was feed-forward in one and not in the other
                    throw new ConfigException(String.format(Locale.ROOT,
                            "%s: tensor '%s' has shape %s, expected %s (check feedforward_modules)", weightsFile,
                            name, info.shape(), target.getShape()));
                }
                target.set(reader.load(name, scratch).toFloatArray());
            }
        }
    }
}
