package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.ModelConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Checkpoints written by transformers 4.36.2 (../shared/fixtures, see its README). */
class FixtureCheckpointTest {
    private NDManager manager;

    static Path fixture(String name) {
        String shared = System.getProperty("finetune4j.shared", "../shared");
        Path dir = Path.of(shared, "fixtures", name);
        assumeTrue(Files.isDirectory(dir), "shared fixture " + dir + " is absent; skipping");
        return dir;
    }

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** A tensor's float32 values read straight from the file with the header's offsets. */
    private static float[] rawFloats(Path file, String name) throws Exception {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bytes = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) bytes.getLong(0);
        JsonNode offsets = new ObjectMapper().readTree(new String(all, 8, headerLength)).get(name).get("data_offsets");
        int begin = 8 + headerLength + offsets.get(0).asInt();
        float[] values = new float[(offsets.get(1).asInt() - offsets.get(0).asInt()) / 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = bytes.getFloat(begin + 4 * i);
        }
        return values;
    }

    @Test
    void fakeGpt2ConfigLoads() {
        ModelConfig config = CheckpointReader.readConfig(fixture("lmbuddy_fake_gpt2"));

        assertThat(config).isEqualTo(new ModelConfig("gpt2", 50257, 2, 1, 1, 1, 8, 1024, 1e-5, 0.0, true, true,
                "gelu_new", config.raw()));
        assertThat(config.raw()).containsEntry("_name_or_path", "fake-gpt2");
    }

    @Test
    void fakeGpt2WeightsLoadWithTransformerPrefixAndNoLmHead() throws Exception {
        Path dir = fixture("lmbuddy_fake_gpt2");

        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);

        assertThat(loaded.tensors()).hasSize(16).doesNotContainKey("lm_head.weight");
        assertThat(loaded.tensors().keySet()).allMatch(name -> name.startsWith("transformer."));
        assertThat(loaded.tensors().get("transformer.wte.weight").getShape()).isEqualTo(new Shape(50257, 2));
        assertThat(loaded.tensors().get("transformer.h.0.attn.c_attn.weight").getShape()).isEqualTo(new Shape(2, 6));
        assertThat(loaded.storedTypes().values()).containsOnly(DataType.FLOAT32);
        assertThat(loaded.tensors().get("transformer.h.0.mlp.c_fc.weight").toFloatArray())
                .containsExactly(rawFloats(dir.resolve("model.safetensors"), "transformer.h.0.mlp.c_fc.weight"));
    }

    @Test
    void tinyGpt2BaseLoadsWithoutTransformerPrefix() {
        Path dir = fixture("lmbuddy_tiny_gpt2_base");

        ModelConfig config = CheckpointReader.readConfig(dir);
        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);

        assertThat(config.vocabSize()).isEqualTo(21);
        assertThat(loaded.tensors()).containsKeys("wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "ln_f.bias");
        assertThat(loaded.tensors().keySet()).noneMatch(name -> name.startsWith("transformer."));
        assertThat(loaded.tensors().get("wte.weight").getShape()).isEqualTo(new Shape(21, 2));
    }

    @Test
    void fixtureSurvivesSaveAndReload(@org.junit.jupiter.api.io.TempDir Path out) throws Exception {
        Path dir = fixture("lmbuddy_tiny_gpt2_base");
        ModelConfig config = CheckpointReader.readConfig(dir);
        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);

        CheckpointWriter.write(out.resolve("copy"), config, loaded.tensors(), loaded.storedTypes(), dir);

        assertThat(RawSafetensors.dataSection(out.resolve("copy/model.safetensors")))
                .isEqualTo(RawSafetensors.dataSection(dir.resolve("model.safetensors")));
        assertThat(out.resolve("copy/vocab.json")).hasSameBinaryContentAs(dir.resolve("vocab.json"));
        assertThat(CheckpointReader.readConfig(out.resolve("copy"))).isEqualTo(config);
    }
}
