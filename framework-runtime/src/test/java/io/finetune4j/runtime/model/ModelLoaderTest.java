package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save and load through real checkpoint files, with a real byte-level tokenizer. */
class ModelLoaderTest {
    /** 256 byte tokens + one special token. */
    private static final int VOCAB = 257;

    @TempDir
    Path temp;

    @Test
    void saveThenLoadIsBitIdenticalForF32() throws IOException {
        Path first = temp.resolve("first");
        Path second = temp.resolve("second");
        try (CausalLM model = randomModel(ModelFactory.llamaFamilyConfig("qwen2", VOCAB, 16, 2, 2, 1, 24, 64, false), 1)) {
            ModelLoader.save(model, first);
            try (CausalLM loaded = ModelLoader.load(first, Device.cpu())) {
                assertSameParameters(model, loaded);
                assertThat(loaded.config().raw()).isEqualTo(model.config().raw());
                assertThat(loaded.tokenizer().eosTokenIds()).containsExactly(256);
                long[] ids = loaded.tokenizer().encode("hello", false);
                assertThat(maxDiff(TestModels.logits(model, ids), TestModels.logits(loaded, ids))).isZero();
                ModelLoader.save(loaded, second);
            }
        }
        assertThat(Files.readAllBytes(second.resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(first.resolve("model.safetensors")));
        assertThat(second.resolve("tokenizer.json")).exists();
        assertThat(second.resolve("tokenizer_config.json")).exists();
    }

    @Test
    void f16TensorsAreSavedBackAsF16() throws IOException {
        Path f16 = temp.resolve("f16");
        Path again = temp.resolve("again");
        Path tokenizer = tokenizerDir();
        try (CausalLM model = randomModel(ModelFactory.gpt2Config(VOCAB, 16, 2, 2, 64), 2)) {
            Map<String, DataType> half = new LinkedHashMap<>();
            model.parameters().keySet().forEach(name -> half.put(name, DataType.FLOAT16));
            CheckpointWriter.write(f16, model.config(), model.parameters(), half, tokenizer);
        }
        try (CausalLM loaded = ModelLoader.load(f16, Device.cpu())) {
            ModelLoader.save(loaded, again);
            try (CausalLM reloaded = ModelLoader.load(again, Device.cpu())) {
                assertSameParameters(loaded, reloaded);
            }
        }
        byte[] original = Files.readAllBytes(f16.resolve("model.safetensors"));
        assertThat(Files.readAllBytes(again.resolve("model.safetensors"))).isEqualTo(original);
        assertThat(new String(original, 0, 400, java.nio.charset.StandardCharsets.ISO_8859_1)).contains("\"F16\"").doesNotContain("\"F32\"");
    }

    @Test
    void aMissingTensorIsNamedWithItsFile() {
        Path broken = temp.resolve("broken");
        try (CausalLM model = randomModel(ModelFactory.llamaConfig(VOCAB, 16, 1, 2, 1, 24, 64), 3)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(model.parameters());
            tensors.remove("model.layers.0.mlp.down_proj.weight");
            CheckpointWriter.write(broken, model.config(), tensors, Map.of(), tokenizerDir());
        }
        assertThatThrownBy(() -> ModelLoader.load(broken, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(broken.resolve("model.safetensors") + ": missing tensor 'model.layers.0.mlp.down_proj.weight' (expected shape [16, 24])");
    }

    @Test
    void aMergedReplacementIsWhatGetsSaved() {
        Path merged = temp.resolve("merged");
        try (CausalLM model = randomModel(ModelFactory.llamaConfig(VOCAB, 16, 1, 2, 2, 24, 64), 4)) {
            String name = "model.layers.0.self_attn.v_proj";
            DenseLinear old = (DenseLinear) model.linears().get(name);
            NDArray doubled = old.weight().add(old.weight());
            model.replaceLinear(name, new DenseLinear(name, doubled, null, false));
            ModelLoader.save(model, merged);
            try (CausalLM loaded = ModelLoader.load(merged, Device.cpu())) {
                assertThat(loaded.parameters().get(name + ".weight").toFloatArray()).containsExactly(doubled.toFloatArray());
                assertThat(loaded.parameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
            }
        }
    }

    private CausalLM randomModel(ModelConfig config, long seed) {
        Path dir = tokenizerDir();
        return ModelFactory.random(config, HfTokenizer.load(dir), dir, seed, Device.cpu());
    }

    private Path tokenizerDir() {
        Path dir = temp.resolve("tokenizer");
        if (!Files.isDirectory(dir)) {
            TokenizerFiles.writeByteLevel(dir, List.of("<|end|>"), List.of(), null, "<|end|>", null);
        }
        return dir;
    }

    static void assertSameParameters(CausalLM expected, CausalLM actual) {
        assertThat(actual.parameters().keySet()).containsExactlyElementsOf(expected.parameters().keySet());
        expected.parameters().forEach((name, array) -> {
            assertThat(actual.parameters().get(name).getShape()).as(name).isEqualTo(array.getShape());
            assertThat(actual.parameters().get(name).toFloatArray()).as(name).containsExactly(array.toFloatArray());
        });
    }
}
