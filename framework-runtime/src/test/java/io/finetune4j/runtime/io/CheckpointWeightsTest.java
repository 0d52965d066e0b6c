package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights through {@link CheckpointReader#readWeights}: one file, shards, and what is refused. */
class CheckpointWeightsTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private void shards() throws Exception {
        RawSafetensors.write(dir.resolve("model-00001-of-00002.safetensors"),
                "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                RawSafetensors.floats(1f, 2f));
        RawSafetensors.write(dir.resolve("model-00002-of-00002.safetensors"),
                "{\"model.norm.weight\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                        + "\"lm_head.weight\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]}}",
                RawSafetensors.shorts((short) 0x3F80, (short) 0xC000));
    }

    private void index(String weightMap) throws Exception {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 12}, \"weight_map\": " + weightMap + "}");
    }

    private String indexFile() {
        return dir.resolve("model.safetensors.index.json").toString();
    }

    @Test
    void readsSingleFileInFileOrderWithStoredTypes() {
        RawSafetensors.write(dir.resolve("model.safetensors"),
                "{\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                RawSafetensors.concat(RawSafetensors.floats(0.5f), RawSafetensors.shorts((short) 0x3C00)));

        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);

        assertThat(loaded.tensors().keySet()).containsExactly("a", "b");
        assertThat(loaded.tensors().get("a").toFloatArray()).containsExactly(0.5f);
        assertThat(loaded.tensors().get("b").getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(loaded.tensors().get("b").toFloatArray()).containsExactly(1.0f);
        assertThat(loaded.storedTypes()).containsEntry("a", DataType.FLOAT32).containsEntry("b", DataType.FLOAT16);
    }

    @Test
    void readsShardedCheckpoint() throws Exception {
        shards();
        index("{\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
                + " \"model.norm.weight\": \"model-00002-of-00002.safetensors\","
                + " \"lm_head.weight\": \"model-00002-of-00002.safetensors\"}");

        LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);

        assertThat(loaded.tensors().keySet()).containsExactly("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight");
        assertThat(loaded.tensors().get("model.embed_tokens.weight").toFloatArray()).containsExactly(1f, 2f);
        assertThat(loaded.tensors().get("model.norm.weight").toFloatArray()).containsExactly(1f);
        assertThat(loaded.tensors().get("lm_head.weight").toFloatArray()).containsExactly(-2f);
        assertThat(loaded.storedTypes()).containsEntry("model.norm.weight", DataType.BFLOAT16)
                .containsEntry("lm_head.weight", DataType.FLOAT16);
    }

    @Test
    void rejectsIndexNamingATensorItsShardLacks() throws Exception {
        shards();
        index("{\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
                + " \"model.layers.0.mlp.up_proj.weight\": \"model-00002-of-00002.safetensors\"}");

        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessage(indexFile() + ": tensor 'model.layers.0.mlp.up_proj.weight' is mapped to shard "
                        + "'model-00002-of-00002.safetensors', which does not hold it");
    }

    @Test
    void rejectsIndexNamingAMissingShard() throws Exception {
        shards();
        index("{\"model.embed_tokens.weight\": \"model-00003-of-00003.safetensors\"}");

        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessage(indexFile() + ": tensor 'model.embed_tokens.weight' is mapped to shard "
                        + "'model-00003-of-00003.safetensors', which does not exist");
    }

    @Test
    void rejectsShardOutsideTheDirectory() throws Exception {
        index("{\"w\": \"../elsewhere.safetensors\"}");

        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessage(indexFile() + ": tensor 'w': shard must be a file name in the same directory, "
                        + "was \"../elsewhere.safetensors\"");
    }

    @Test
    void malformedShardNamesTheShardAndTensor() throws Exception {
        RawSafetensors.write(dir.resolve("model-00001-of-00001.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", new byte[8]);
        index("{\"w\": \"model-00001-of-00001.safetensors\"}");

        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("model-00001-of-00001.safetensors")
                        + ": tensor 'w': data_offsets [0, 8] hold 8 bytes but shape [4] of F32 needs 16");
    }

    @Test
    void explainsThatPytorchBinIsNotSupported() throws Exception {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {0});

        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir + ": only pytorch_model.bin found; finetune4j reads safetensors weights only.")
                .hasMessageContaining("save_pretrained('" + dir + "', safe_serialization=True)");
    }

    @Test
    void rejectsDirectoryWithoutWeights() {
        assertThatThrownBy(() -> CheckpointReader.readWeights(dir, manager))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir + ": no weights found; looked for model.safetensors and model.safetensors.index.json");
    }
}
