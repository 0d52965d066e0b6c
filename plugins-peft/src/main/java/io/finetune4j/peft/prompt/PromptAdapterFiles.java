package io.finetune4j.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prompt-learning adapters in Hugging Face PEFT's layout: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} holding one float32 tensor, {@code prompt_embeddings}: what PEFT's
 * {@code get_prompt_embedding_to_save} returns ({@code [num_virtual_tokens, token_dim]} for prompt tuning,
 * {@code [num_virtual_tokens, num_layers·2·token_dim]} for prefix tuning).
 */
final class PromptAdapterFiles {
    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";
    static final String TENSOR = "prompt_embeddings";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PromptAdapterFiles() {}

    /** The keys every PEFT prompt-learning config writes, for a causal LM with one transformer submodule. */
    static Map<String, Object> commonConfig(String peftType, CausalLM model, int numVirtualTokens,
            int numAttentionHeads, int tokenDim, String baseModelNameOrPath) {
        Map<String, Object> json = new TreeMap<>();
        json.put("auto_mapping", null);
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("inference_mode", true);
        json.put("num_attention_heads", numAttentionHeads);
        json.put("num_layers", model.config().numHiddenLayers());
        json.put("num_transformer_submodules", 1);
        json.put("num_virtual_tokens", numVirtualTokens);
        json.put("peft_type", peftType);
        json.put("revision", null);
        json.put("task_type", "CAUSAL_LM");
        json.put("token_dim", tokenDim);
        return json;
    }

    static void write(Path dir, Map<String, Object> json, NDArray promptEmbeddings) {
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), Map.of(TENSOR, promptEmbeddings),
                Map.of(TENSOR, DataType.FLOAT32), Map.of("format", "pt"));
        AtomicFiles.writeAtomically(dir.resolve(CONFIG_FILE), temp -> JSON.writeValue(temp.toFile(), json));
    }

    /** Checks {@code dir}'s config ({@code peft_type}, {@code num_virtual_tokens}) and returns its prompt tensor. */
    static float[] read(Path dir, String peftType, int numVirtualTokens, Shape expected) {
        Path configFile = dir.resolve(CONFIG_FILE);
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(configFile));
        } catch (NoSuchFileException e) {
            throw new ConfigException(configFile + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(configFile + ": cannot read: " + e.getMessage(), e);
        }
        String saved = json.path("peft_type").asText("");
        if (!peftType.equals(saved)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: peft_type is '%s', expected '%s'", configFile, saved, peftType));
        }
        int savedTokens = json.path("num_virtual_tokens").asInt(-1);
        if (savedTokens != numVirtualTokens) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: num_virtual_tokens is %d, but the method was created with num_virtual_tokens %d",
                    configFile, savedTokens, numVirtualTokens));
        }
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        try (SafetensorsReader reader = SafetensorsReader.open(weightsFile);
             NDManager scratch = NDManager.newBaseManager()) {
            var info = reader.info(TENSOR).orElseThrow(() -> new ConfigException(
                    weightsFile + ": missing tensor '" + TENSOR + "'"));
            if (!info.shape().equals(expected)) {
                throw new ConfigException(String.format(Locale.ROOT, "%s: tensor '%s' has shape %s, expected %s",
                        weightsFile, TENSOR, info.shape(), expected));
            }
            if (reader.tensors().size() != 1) {
                throw new ConfigException(weightsFile + ": expected only '" + TENSOR + "', found "
                        + reader.tensors().stream().map(SafetensorsReader.TensorInfo::name).toList());
            }
            return reader.load(TENSOR, scratch).toFloatArray();
        }
    }
}
