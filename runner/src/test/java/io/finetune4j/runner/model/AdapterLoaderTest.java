package io.finetune4j.runner.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PluginChoice;
import io.finetune4j.runner.plugin.PluginLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterLoaderTest {
    @TempDir
    Path temp;

    private final StringWriter err = new StringWriter();

    private AdapterLoader loader() {
        Map<String, MethodProvider<?>> methods = PluginLoader.load(getClass().getClassLoader(), null).methods();
        return new AdapterLoader(Map.of("lora", methods.get("lora")), new ConfigBinder(),
                new Console(new PrintWriter(new StringWriter()), new PrintWriter(err, true)));
    }

    @Test
    void bindsTheKeysTheMethodKnowsAndWarnsOnceAboutTheRest() throws Exception {
        Files.writeString(temp.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "x", "r": 2,
                 "lora_alpha": 4, "lora_dropout": null, "target_modules": ["q_proj"], "fan_in_fan_out": false,
                 "use_dora": true, "modules_to_save": null, "lora_bias": true, "megatron_core": "megatron.core"}
                """);

        PluginChoice<MethodProvider<?>> choice = loader().read(temp);

        assertThat(choice.id()).isEqualTo("lora");
        assertThat(new ConfigBinder().mapper().convertValue(choice.config(), Map.class))
                .containsEntry("r", 2).containsEntry("lora_alpha", 4.0).containsEntry("lora_dropout", 0.0)
                .containsEntry("target_modules", List.of("q_proj")).containsEntry("use_dora", true);
        assertThat(err.toString()).isEqualTo("warning: " + temp.resolve("adapter_config.json")
                + ": lora ignores [lora_bias, megatron_core]\n");
    }

    @Test
    void rejectsAPeftTypeNoMethodReads() throws Exception {
        Files.writeString(temp.resolve("adapter_config.json"), "{\"peft_type\": \"IA3\"}");

        assertThatThrownBy(() -> loader().read(temp))
                .isInstanceOf(ConfigException.class)
                .hasMessage(temp.resolve("adapter_config.json") + ": peft_type: no method plugin reads 'IA3'; known: [LORA]");
    }

    @Test
    void validatesTheBoundSettings() throws Exception {
        Files.writeString(temp.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 0}");

        assertThatThrownBy(() -> loader().read(temp))
                .isInstanceOf(ConfigException.class)
                .hasMessage(temp.resolve("adapter_config.json") + ".r: must be > 0, was 0");
    }

    @Test
    void rejectsADirectoryWithoutAdapterConfig() {
        assertThatThrownBy(() -> loader().read(temp))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--adapter: " + temp + " has no adapter_config.json");
    }
}
