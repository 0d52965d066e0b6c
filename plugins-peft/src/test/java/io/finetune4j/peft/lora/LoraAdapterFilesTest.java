package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterFilesTest {
    private static final LoraConfig CONFIG = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "v_proj", "c_attn"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static LoraMethod lora(CausalLM model, long seed) {
        return (LoraMethod) new LoraMethodProvider().create(CONFIG, new TinyModels.Context(model, seed));
    }

    private static void randomizeB(LoraMethod method) {
        Random random = new Random(12);
        for (LoraLinear layer : method.layers().values()) {
            float[] values = new float[(int) layer.loraB().size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            layer.loraB().set(values);
        }
    }

    /** Saves a trained-looking adapter of a tiny Llama into {@link #dir}. */
    private void saveLlamaAdapter() {
        try (CausalLM model = TinyModels.llama(2)) {
            LoraMethod method = lora(model, 1);
            randomizeB(method);
            method.saveAdapter(dir, "tiny-llama");
        }
    }

    @Test
    void saveThenLoadReproducesLogits() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            Path adapter = dir.resolve(gpt2 ? "gpt2" : "llama");
            float[] expected;
            try (CausalLM model = gpt2 ? TinyModels.gpt2(2) : TinyModels.llama(2)) {
                LoraMethod method = lora(model, 1);
                randomizeB(method);
                expected = logits(model);
                method.saveAdapter(adapter, "tiny");
            }
            try (CausalLM model = gpt2 ? TinyModels.gpt2(2) : TinyModels.llama(2)) {
                LoraMethod method = lora(model, 99); // another seed: A starts different
                assertThat(logits(model)).isNotEqualTo(expected);

                method.loadAdapter(adapter);

                assertThat(logits(model)).as("gpt2=%s", gpt2).containsExactly(expected);
            }
        }
    }

    @Test
    void writesPeftAdapterConfig() throws IOException {
        saveLlamaAdapter();

        JsonNode config = JSON.readTree(dir.resolve("adapter_config.json").toFile());

        List<String> keys = new ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias",
                "exclude_modules", "fan_in_fan_out", "inference_mode", "init_lora_weights", "layers_pattern", "layers_to_transform",
                "lora_alpha", "lora_dropout", "modules_to_save", "peft_type", "r", "rank_pattern", "revision",
                "target_modules", "task_type", "use_dora", "use_rslora");
        assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(config.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(config.get("base_model_name_or_path").asText()).isEqualTo("tiny-llama");
        assertThat(config.get("r").isInt()).isTrue();
        assertThat(config.get("r").asInt()).isEqualTo(2);
        assertThat(config.get("lora_alpha").isIntegralNumber()).isTrue();
        assertThat(config.get("lora_alpha").asInt()).isEqualTo(4);
        assertThat(config.get("lora_dropout").asDouble()).isEqualTo(0.0);
        assertThat(config.get("target_modules")).extracting(JsonNode::asText).containsExactly("q_proj", "v_proj");
        assertThat(config.get("bias").asText()).isEqualTo("none");
        assertThat(config.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(config.get("use_rslora").asBoolean()).isFalse();
        assertThat(config.get("use_dora").asBoolean()).isFalse();
        assertThat(config.get("init_lora_weights").asBoolean()).isTrue();
        assertThat(config.get("inference_mode").asBoolean()).isTrue();
        assertThat(config.get("modules_to_save").isNull()).isTrue();
        assertThat(config.get("layers_to_transform").isNull()).isTrue();
        assertThat(config.get("exclude_modules").isNull()).isTrue();
        assertThat(config.get("rank_pattern").isObject() && config.get("rank_pattern").isEmpty()).isTrue();
        assertThat(config.get("alpha_pattern").isObject() && config.get("alpha_pattern").isEmpty()).isTrue();
    }

    @Test
    void writesTensorsUnderPeftNames() {
        saveLlamaAdapter();

        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(reader.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(reader.tensors()).extracting(SafetensorsReader.TensorInfo::name).containsExactly(
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
            assertThat(reader.info("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight").get().shape())
                    .isEqualTo(new Shape(2, 8));
            assertThat(reader.info("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight").get().shape())
                    .isEqualTo(new Shape(4, 2));
        }
    }

    @Test
    void gpt2AdapterIsFanInFanOutOnCAttn() throws IOException {
        try (CausalLM model = TinyModels.gpt2(2)) {
            lora(model, 1).saveAdapter(dir, "tiny-gpt2");
        }

        JsonNode config = JSON.readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(config.get("fan_in_fan_out").asBoolean()).isTrue();
        assertThat(config.get("target_modules")).extracting(JsonNode::asText).containsExactly("c_attn");
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            // c_attn maps 8 -> 24 (q, k and v); A is [r, in], B is [out, r] as in PEFT
            assertThat(reader.info("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").get().shape())
                    .isEqualTo(new Shape(2, 8));
            assertThat(reader.info("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").get().shape())
                    .isEqualTo(new Shape(24, 2));
        }
    }

    @Test
    void rejectsAnotherPeftType() throws IOException {
        saveLlamaAdapter();
        editConfig(config -> config.put("peft_type", "IA3"));

        assertLoadFails(dir.resolve("adapter_config.json") + ": peft_type is 'IA3', expected 'LORA'");
    }

    @Test
    void rejectsAnotherRank() throws IOException {
        saveLlamaAdapter();
        editConfig(config -> config.put("r", 16));

        assertLoadFails(dir.resolve("adapter_config.json") + ": r is 16, but the method was created with r 2");
    }

    @Test
    void rejectsAMissingConfig() {
        assertLoadFails(dir.resolve("adapter_config.json") + ": no such file");
    }

    @Test
    void rejectsTensorsForModulesThisModelDoesNotAdapt() {
        saveLlamaAdapter();

        try (CausalLM model = TinyModels.llama(2)) {
            LoraMethod method = (LoraMethod) new LoraMethodProvider().create(
                    new LoraConfig(2, 4.0, 0.0, List.of("q_proj")), new TinyModels.Context(model, 1));

            assertThatThrownBy(() -> method.loadAdapter(dir))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(dir.resolve("adapter_model.safetensors") + ": tensors [base_model.model."
                            + "model.layers.0.self_attn.v_proj.lora_A.weight, ");
        }
    }

    private void editConfig(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve("adapter_config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(config);
        Files.writeString(file, JSON.writeValueAsString(config));
    }

    private void assertLoadFails(String message) {
        try (CausalLM model = TinyModels.llama(2)) {
            LoraMethod method = lora(model, 1);

            assertThatThrownBy(() -> method.loadAdapter(dir)).isInstanceOf(ConfigException.class).hasMessage(message);
        }
    }
}
