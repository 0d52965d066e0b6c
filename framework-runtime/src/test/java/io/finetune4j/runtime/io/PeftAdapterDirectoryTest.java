package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftAdapterDirectoryTest {
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

    private Map<String, Object> config() {
        Map<String, Object> json = PeftAdapterDirectory.commonConfig("LORA", "base");
        json.put("r", 2);
        return json;
    }

    @Test
    void writesSortedConfigAndFloatTensorsThatReadBack() throws Exception {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("base_model.model.q.lora_A.weight", manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)));
        PeftAdapterDirectory.write(dir, config(), tensors);

        assertThat(PeftAdapterDirectory.isAdapterDirectory(dir)).isTrue();
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).contains("\"auto_mapping\" : null")
                .containsSubsequence("\"base_model_name_or_path\"", "\"inference_mode\" : true", "\"peft_type\"",
                        "\"r\" : 2", "\"revision\"", "\"task_type\" : \"CAUSAL_LM\"");
        assertThat(PeftAdapterDirectory.peftType(PeftAdapterDirectory.readConfig(dir, "LORA"))).contains("LORA");
        NDArray target = manager.zeros(new Shape(2, 2));
        PeftAdapterDirectory.readTensors(dir, Map.of("base_model.model.q.lora_A.weight", target), List::of, "[q]",
                PeftAdapterDirectory.TensorFit.sameShape(""));
        assertThat(target.toFloatArray()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void namedAdaptersLiveInSubfoldersExceptDefault() {
        assertThat(PeftAdapterDirectory.adapterDir(dir, "default")).isEqualTo(dir);
        assertThat(PeftAdapterDirectory.adapterDir(dir, "other")).isEqualTo(dir.resolve("other"));
    }

    @Test
    void aDirectoryWithoutConfigIsNoAdapter() {
        assertThat(PeftAdapterDirectory.isAdapterDirectory(dir)).isFalse();
        assertThatThrownBy(() -> PeftAdapterDirectory.readConfig(dir, "LORA"))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("adapter_config.json") + ": no such file");
    }

    @Test
    void wrongPeftTypeNamesBoth() {
        PeftAdapterDirectory.write(dir, config(), Map.of());

        assertThatThrownBy(() -> PeftAdapterDirectory.readConfig(dir, "IA3"))
                .hasMessage(dir.resolve("adapter_config.json") + ": peft_type is 'LORA', expected 'IA3'");
    }

    @Test
    void extraMissingAndMisshapenTensorsAreNamed() {
        Path weights = dir.resolve("adapter_model.safetensors");
        PeftAdapterDirectory.write(dir, config(), Map.of("a", manager.zeros(new Shape(2))));
        PeftAdapterDirectory.TensorFit exact = PeftAdapterDirectory.TensorFit.sameShape(" (hint)");

        assertThatThrownBy(() -> PeftAdapterDirectory.readTensors(dir, Map.of(), List::of, "[q]", exact))
                .hasMessage(weights + ": tensors [a] have no adapted module in this model (target_modules [q])");
        assertThatThrownBy(() -> PeftAdapterDirectory.readTensors(dir,
                Map.of("a", manager.zeros(new Shape(2)), "b", manager.zeros(new Shape(2))), List::of, "[q]", exact))
                .hasMessage(weights + ": missing tensor 'b'");
        assertThatThrownBy(() -> PeftAdapterDirectory.readTensors(dir, Map.of("a", manager.zeros(new Shape(3))),
                List::of, "[q]", exact))
                .hasMessage(weights + ": tensor 'a' has shape (2), expected (3) (hint)");
    }

    @Test
    void aliasesFindOlderSpellings() {
        PeftAdapterDirectory.write(dir, config(), Map.of("a.weight", manager.create(new float[] {5, 6})));
        NDArray target = manager.zeros(new Shape(2));

        PeftAdapterDirectory.readTensors(dir, Map.of("a", target), name -> List.of(name, name + ".weight"), "[q]",
                PeftAdapterDirectory.TensorFit.sameShape(""));

        assertThat(target.toFloatArray()).containsExactly(5, 6);
    }

    @Test
    void mismatchAndNumbersFollowPeftsSpelling() {
        assertThat(PeftAdapterDirectory.number(16.0)).isEqualTo(16L);
        assertThat(PeftAdapterDirectory.number(0.5)).isEqualTo(0.5);
        assertThat(PeftAdapterDirectory.unsetIfEmpty(List.of())).isNull();
        assertThat(PeftAdapterDirectory.unsetIfEmpty("")).isNull();
        assertThatThrownBy(() -> PeftAdapterDirectory.checkSame(Path.of("c.json"), "r", 4, 8))
                .hasMessage("c.json: r is 4, but the method was created with r 8");
    }

    @Test
    void otherFileNamesReadBackWithTheirOwnMessage() {
        Path config = dir.resolve("bottleneck_config.json");
        Path weights = dir.resolve("bottleneck_adapter.safetensors");
        PeftAdapterDirectory.write(config, Map.of("method", "bottleneck"), weights,
                Map.of("a", manager.create(new float[] {7, 8})));

        assertThat(PeftAdapterDirectory.isAdapterDirectory(dir)).isFalse();
        assertThat(PeftAdapterDirectory.readJson(config).path("method").asText()).isEqualTo("bottleneck");
        assertThatThrownBy(() -> PeftAdapterDirectory.readTensorsFrom(weights, Map.of(), List::of,
                "have no adapter in this model", PeftAdapterDirectory.TensorFit.sameShape("")))
                .hasMessage(weights + ": tensors [a] have no adapter in this model");
    }

    @Test
    void aConfigThatIsNoObjectIsRefused() throws Exception {
        Files.writeString(dir.resolve("adapter_config.json"), "[1]");

        assertThatThrownBy(() -> PeftAdapterDirectory.readConfig(dir, "LORA"))
                .hasMessage(dir.resolve("adapter_config.json") + ": expected a JSON object");
    }
}
