package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ft4j bench --model-config}: a real architecture from its config.json, with memory and model FLOPs. */
class ConfigBenchmarkTest {
    private static final String CONFIG = """
            {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
             "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 1000, "rms_norm_eps": 1e-6,
             "rope_theta": 10000.0, "tie_word_embeddings": true, "max_position_embeddings": 64}
            """;

    @TempDir
    Path temp;

    private JsonNode bench(String... extra) throws Exception {
        Path config = Files.writeString(temp.resolve("config.json"), CONFIG);
        BenchCommand command = new BenchCommand(new ClassPathBenchPlugins());
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        String[] base = {"--model-config", config.toString(), "--seq", "16", "--batch", "2", "--steps", "1",
                "--warmup", "0", "--matmul-size", "64", "--json"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        cli.parseArgs(args);
        assertThat(command.call()).isZero();
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void benchmarksTheConfigsShapeWithLoraOnEveryLinearAndReportsMemory() throws Exception {
        JsonNode result = bench();

        // LoRA r 16 on q (64→64), k and v (64→32), o (64→64), gate and up (64→128), down (128→64), two layers.
        long perLayer = 16L * ((64 + 64) + 2 * (64 + 32) + (64 + 64) + 2 * (64 + 128) + (128 + 64));
        assertThat(result.get("trainable_parameters").asLong()).isEqualTo(2 * perLayer);
        assertThat(result.at("/shape/model_type").asText()).isEqualTo("qwen2");
        assertThat(result.at("/shape/kv_heads").asInt()).isEqualTo(2);
        // Model FLOPs: 4·P_frozen + 6·P_lora + 4·V·H (tied, frozen head) + 12·T·heads·head_dim per layer, per token.
        long frozen = 2L * (64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 128);
        double expected = 32.0 * (4.0 * frozen + 6.0 * 2 * perLayer + 4.0 * 1000 * 64 + 12.0 * 16 * 4 * 16 * 2);
        assertThat(result.get("flops_per_step").asDouble()).isEqualTo(expected);
        assertThat(result.get("peak_rss_mb").asDouble()).isGreaterThanOrEqualTo(result.get("load_peak_rss_mb").asDouble())
                .isGreaterThan(10);
        assertThat(result.get("gradient_checkpointing").asBoolean()).isFalse();
        assertThat(result.get("rss_last_mb").asDouble()).isGreaterThan(10);
        assertThat(result.get("rss_growth").isNumber()).isTrue();
        assertThat(bench("--gradient-checkpointing").get("gradient_checkpointing").asBoolean()).isTrue();
    }

    @Test
    void aSequenceBeyondTheConfigsPositionsIsRefused() throws Exception {
        Path config = Files.writeString(temp.resolve("config.json"), CONFIG);
        BenchCommand command = new BenchCommand(new ClassPathBenchPlugins());
        new CommandLine(command).parseArgs("--model-config", config.toString(), "--seq", "65");

        assertThatThrownBy(command::call).isInstanceOf(ConfigException.class)
                .hasMessage("--seq: 65 is more than " + config + "'s max_position_embeddings 64");
    }
}
