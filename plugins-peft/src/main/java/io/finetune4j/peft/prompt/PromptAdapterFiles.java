package io.finetune4j.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import io.finetune4j.runtime.io.SafetensorsReader;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Prompt-learning adapters in Hugging Face PEFT's layout: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} holding one float32 tensor, {@code prompt_embeddings}: what PEFT's
 * {@code get_prompt_embedding_to_save} returns ({@code [num_virtual_tokens, token_dim]} for prompt tuning,
 * {@code [num_virtual_tokens, num_layers·2·token_dim]} for prefix tuning).
 */
final class PromptAdapterFiles {
    static final String TENSOR = "prompt_embeddings";

    private PromptAdapterFiles() {}

    /** The keys every PEFT prompt-learning config writes, for a causal LM with one transformer submodule. */
    static Map<String, Object> commonConfig(String peftType, CausalLM model, int numVirtualTokens,
            int numAttentionHeads, int tokenDim, String baseModelNameOrPath) {
        Map<String, Object> json = PeftAdapterDirectory.commonConfig(peftType, baseModelNameOrPath);
        json.put("num_attention_heads", numAttentionHeads);
        json.put("num_layers", model.config().numHiddenLayers());
        json.put("num_transformer_submodules", 1);
        json.put("num_virtual_tokens", numVirtualTokens);
        json.put("token_dim", tokenDim);
        return json;
    }

    static void write(Path dir, Map<String, Object> json, NDArray promptEmbeddings) {
        PeftAdapterDirectory.write(dir, json, Map.of(TENSOR, promptEmbeddings));
    }

    /** Checks {@code dir}'s config ({@code peft_type}, {@code num_virtual_tokens}) and returns its prompt tensor. */
    static float[] read(Path dir, String peftType, int numVirtualTokens, Shape expected) {
        JsonNode json = PeftAdapterDirectory.readConfig(dir, peftType);
        int savedTokens = json.path("num_virtual_tokens").asInt(-1);
        if (savedTokens != numVirtualTokens) {
            throw PeftAdapterDirectory.mismatch(PeftAdapterDirectory.configFile(dir), "num_virtual_tokens", savedTokens,
                    numVirtualTokens);
        }
        Path weightsFile = PeftAdapterDirectory.weightsFile(dir);
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
