package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWriterTest {
    private static final String CONFIG = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 8, "hidden_size": 4,
             "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 6,
             "rms_norm_eps": 1e-05, "custom_key": {"kept": [1, 2]}}
            """;

    @TempDir
    Path root;

    private NDManager manager;
    private ModelConfig config;

    @BeforeEach
    void setUp() throws Exception {
        manager = NDManager.newBaseManager();
        config = ModelConfigJson.parse(CONFIG, "config.json");
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private Map<String, NDArray> tensors() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("model.embed_tokens.weight", manager.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 4)));
        tensors.put("model.norm.weight", manager.create(new float[] {1f, 0.5f, -2f, 3f}));
        return tensors;
    }

    private List<String> siblings() throws Exception {
        try (Stream<Path> files = Files.list(root)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writtenCheckpointReadsBack() {
        Path dir = root.resolve("out");

        CheckpointWriter.write(dir, config, tensors(), Map.of("model.norm.weight", DataType.BFLOAT16), null);

        assertThat(CheckpointReader.readConfig(dir)).isEqualTo(config);
        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);
        assertThat(loaded.tensors().keySet()).containsExactly("model.embed_tokens.weight", "model.norm.weight");
        assertThat(loaded.tensors().get("model.embed_tokens.weight").getShape()).isEqualTo(new Shape(2, 4));
        assertThat(loaded.tensors().get("model.embed_tokens.weight").toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(loaded.tensors().get("model.norm.weight").toFloatArray()).containsExactly(1f, 0.5f, -2f, 3f);
        assertThat(loaded.storedTypes()).containsEntry("model.embed_tokens.weight", DataType.FLOAT32)
                .containsEntry("model.norm.weight", DataType.BFLOAT16);
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertThat(reader.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void configJsonIsTheRawMapPrettyPrinted() throws Exception {
        Path dir = root.resolve("out");

        CheckpointWriter.write(dir, config, tensors(), null, null);

        String text = Files.readString(dir.resolve("config.json"));
        assertThat(new ObjectMapper().readValue(text, Map.class)).isEqualTo(new ObjectMapper().readValue(CONFIG, Map.class));
        assertThat(text).startsWith("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n  \"model_type\": \"llama\",");
    }

    @Test
    void copiesTokenizerFilesThatExist() throws Exception {
        Path source = Files.createDirectory(root.resolve("source"));
        Files.writeString(source.resolve("tokenizer.json"), "{\"t\": 1}");
        Files.writeString(source.resolve("generation_config.json"), "{\"eos_token_id\": 2}");
        Files.writeString(source.resolve("unrelated.txt"), "no");
        Path dir = root.resolve("out");

        CheckpointWriter.write(dir, config, tensors(), null, source);

        assertThat(Files.readString(dir.resolve("tokenizer.json"))).isEqualTo("{\"t\": 1}");
        assertThat(Files.readString(dir.resolve("generation_config.json"))).isEqualTo("{\"eos_token_id\": 2}");
        assertThat(dir.resolve("unrelated.txt")).doesNotExist();
        assertThat(dir.resolve("vocab.json")).doesNotExist();
    }

    @Test
    void replacesAnExistingDirectoryAndLeavesNoTemporaries() throws Exception {
        Path dir = Files.createDirectory(root.resolve("out"));
        Files.writeString(dir.resolve("stale.txt"), "old");

        CheckpointWriter.write(dir, config, tensors(), null, null);

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("config.json", "model.safetensors");
        }
        assertThat(siblings()).containsExactly("out");
    }

    @Test
    void savingOverTheTokenizerSourceKeepsTheTokenizer() throws Exception {
        Path dir = root.resolve("out");
        CheckpointWriter.write(dir, config, tensors(), null, null);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");

        CheckpointWriter.write(dir, config, tensors(), null, dir);

        assertThat(Files.readString(dir.resolve("tokenizer_config.json"))).isEqualTo("{\"eos_token\": \"</s>\"}");
    }

    @Test
    void failedWriteLeavesTheOldDirectoryIntact() throws Exception {
        Path dir = Files.createDirectory(root.resolve("out"));
        Files.writeString(dir.resolve("config.json"), "old");
        Map<String, NDArray> tensors = tensors();
        tensors.put("bad", manager.create(new int[] {1 << 20}));

        assertThatThrownBy(() -> CheckpointWriter.write(dir, config, tensors, Map.of("bad", DataType.INT16), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'bad': value 1048576 does not fit in I16");

        assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo("old");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.count()).isEqualTo(1);
        }
        assertThat(siblings()).containsExactly("out");
    }
}
