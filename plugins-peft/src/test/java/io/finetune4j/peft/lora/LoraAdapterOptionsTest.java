package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Save → load round trips of every LoraConfig option, and tensor names written by other PEFT versions. */
class LoraAdapterOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Case(String name, LongFunction<CausalLM> model, Consumer<LoraOptions> options) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Case> CASES = List.of(
            new Case("rslora+patterns", TinyModels::llama, o -> {
                o.rslora = true;
                o.rankPattern = Map.of("q_proj", 3);
                o.alphaPattern = Map.of("v_proj", 6.0);
            }),
            new Case("dora-llama", TinyModels::llama, o -> o.dora = true),
            new Case("dora-gpt2", TinyModels::gpt2, o -> o.dora = true),
            new Case("gaussian", TinyModels::llama, o -> o.init = "gaussian"),
            new Case("pissa", TinyModels::llama, o -> o.init = "pissa"),
            new Case("pissa-dora-gpt2", TinyModels::gpt2, o -> {
                o.init = "pissa";
                o.dora = true;
            }),
            new Case("bias-lora-only", TinyModels::gpt2, o -> o.bias = "lora_only"),
            new Case("bias-all", TinyModels::gpt2, o -> o.bias = "all"),
            new Case("modules-to-save", TinyModels::llama, o -> o.modulesToSave = List.of("lm_head")),
            new Case("regex", TinyModels::llama, o -> o.targets = ".*\\.(k|o)_proj"),
            new Case("layers", TinyModels::llama, o -> {
                o.layers = List.of(1);
                o.layersPattern = List.of("layers");
            }),
            new Case("exclude", TinyModels::llama, o -> {
                o.targets = "all-linear";
                o.exclude = List.of("down_proj");
            }));

    private static LoraOptions options(Case c) {
        LoraOptions options = new LoraOptions();
        c.options().accept(options);
        return options;
    }

    private float[] saveTrained(Case c, Path where) {
        try (CausalLM model = c.model().apply(2)) {
            LoraMethod method = options(c).create(model, 1);
            LoraOptions.randomize(method, 12);
            float[] expected = logits(model);
            method.saveAdapter(where, "tiny");
            return expected;
        }
    }

    private float[] loadInto(Case c, Path where) {
        try (CausalLM model = c.model().apply(2)) {
            LoraMethod method = options(c).create(model, 99);
            method.loadAdapter(where);
            return logits(model);
        }
    }

    static List<Case> cases() {
        return CASES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyOptionSurvivesSaveAndLoad(Case c) {
        Path where = dir.resolve(c.name());
        float[] expected = saveTrained(c, where);

        assertThat(loadInto(c, where)).as(c.name()).containsExactly(expected);
    }

    @Test
    void adapterConfigReflectsEveryField() throws IOException {
        LoraOptions options = new LoraOptions();
        options.rslora = true;
        options.dora = true;
        options.init = "gaussian";
        options.rankPattern = Map.of("q_proj", 3);
        options.alphaPattern = Map.of("v_proj", 6.0);
        options.layers = List.of(0, 1);
        options.layersPattern = List.of("layers");
        options.modulesToSave = List.of("lm_head");
        options.bias = "lora_only";
        options.exclude = List.of("model.layers.0.self_attn.q_proj");
        try (CausalLM model = TinyModels.llama(2)) {
            options.create(model, 1).saveAdapter(dir, "tiny");
        }

        JsonNode config = JSON.readTree(dir.resolve("adapter_config.json").toFile());

        assertThat(config.get("use_rslora").asBoolean()).isTrue();
        assertThat(config.get("use_dora").asBoolean()).isTrue();
        assertThat(config.get("init_lora_weights").asText()).isEqualTo("gaussian");
        assertThat(config.get("rank_pattern").get("q_proj").asInt()).isEqualTo(3);
        assertThat(config.get("alpha_pattern").get("v_proj").isIntegralNumber()).isTrue();
        assertThat(config.get("alpha_pattern").get("v_proj").asInt()).isEqualTo(6);
        assertThat(config.get("layers_to_transform")).extracting(JsonNode::asInt).containsExactly(0, 1);
        assertThat(config.get("layers_pattern")).extracting(JsonNode::asText).containsExactly("layers");
        assertThat(config.get("modules_to_save")).extracting(JsonNode::asText).containsExactly("lm_head");
        assertThat(config.get("bias").asText()).isEqualTo("lora_only");
        assertThat(config.get("exclude_modules")).extracting(JsonNode::asText)
                .containsExactly("model.layers.0.self_attn.q_proj");
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(reader.tensors()).extracting(SafetensorsReader.TensorInfo::name).contains(
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector",
                    "base_model.model.lm_head.weight");
        }
    }

    @Test
    void regexTargetIsSavedAsTheString() throws IOException {
        saveTrained(CASES.get(9), dir);

        assertThat(JSON.readTree(dir.resolve("adapter_config.json").toFile()).get("target_modules").asText())
                .isEqualTo(".*\\.(k|o)_proj");
    }

    @Test
    void loadsOlderPeftTensorNames() {
        Map<String, Function<String, String>> renames = Map.of(
                "dora-llama", name -> name.endsWith("lora_magnitude_vector") ? name + ".weight" : name,
                "modules-to-save", name -> name.equals("base_model.model.lm_head.weight")
                        ? "base_model.model.lm_head.modules_to_save.default.weight" : name,
                "bias-lora-only", name -> name.replace(".base_layer.bias", ".bias"));
        for (Case c : CASES) {
            Function<String, String> rename = renames.get(c.name());
            if (rename == null) {
                continue;
            }
            Path where = dir.resolve(c.name());
            float[] expected = saveTrained(c, where);
            renameTensors(where.resolve("adapter_model.safetensors"), rename);

            assertThat(loadInto(c, where)).as(c.name()).containsExactly(expected);
        }
    }

    @Test
    void rejectsAnAdapterSavedWithAnotherVariant() throws IOException {
        saveTrained(CASES.get(1), dir); // DoRA
        try (CausalLM model = TinyModels.llama(2)) {
            LoraMethod plain = new LoraOptions().create(model, 1);
            assertThatThrownBy(() -> plain.loadAdapter(dir)).isInstanceOf(ConfigException.class)
                    .hasMessage(dir.resolve("adapter_config.json")
                            + ": use_dora is true, but the method was created with use_dora false");
        }
    }

    /** The keys PEFT writes bind onto LoraConfig with the runner's binding rules (snake_case, single value as list). */
    @Test
    void peftAdapterConfigBindsOntoTheRecord() throws IOException {
        ObjectMapper binder = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        String peft = """
                {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "model\\\\..*\\\\.(q|v)_proj",
                 "exclude_modules": ["lm_head"], "bias": "lora_only", "use_rslora": true, "use_dora": true,
                 "init_lora_weights": "pissa_niter_4", "rank_pattern": {"q_proj": 8}, "alpha_pattern": {"v_proj": 8},
                 "layers_to_transform": 1, "layers_pattern": "layers", "modules_to_save": ["lm_head"]}""";

        LoraConfig config = binder.readValue(peft, LoraConfig.class);

        assertThat(config.targetModules()).isEqualTo("model\\..*\\.(q|v)_proj");
        assertThat(config.excludeModules()).isEqualTo(List.of("lm_head"));
        assertThat(config.initLoraWeights()).isEqualTo("pissa_niter_4");
        assertThat(config.layersToTransform()).containsExactly(1);
        assertThat(config.layersPattern()).containsExactly("layers");
        assertThat(config.alphaPattern()).containsEntry("v_proj", 8.0);
        assertThat(config.useDora() && config.useRslora()).isTrue();
        assertThat(binder.readValue(binder.writeValueAsString(config), LoraConfig.class)).isEqualTo(config);
    }

    private static void renameTensors(Path file, Function<String, String> rename) {
        Map<String, NDArray> renamed = new LinkedHashMap<>();
        Map<String, DataType> dtypes = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file); NDManager scratch = NDManager.newBaseManager()) {
            for (SafetensorsReader.TensorInfo info : reader.tensors()) {
                String name = rename.apply(info.name());
                renamed.put(name, reader.load(info.name(), scratch));
                dtypes.put(name, DataType.FLOAT32);
            }
            SafetensorsWriter.write(file, renamed, dtypes, Map.of("format", "pt"));
        }
    }
}
