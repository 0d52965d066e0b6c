package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GenerationBenchCommandTest {
    @Test
    void generatesTheRequestedTokensAndReportsThemAsJson() throws Exception {
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new GenerationBenchCommand());
        cli.setOut(new PrintWriter(text));

        int exit = cli.execute("--layers", "1", "--hidden", "16", "--heads", "2", "--vocab", "32",
                "--prompt-length", "3", "--new-tokens", "5", "--runs", "2", "--warmup", "1", "--json");

        assertThat(exit).isZero();
        JsonNode json = new ObjectMapper().readTree(text.toString());
        assertThat(json.get("new_tokens").asInt()).isEqualTo(5);
        assertThat(json.get("prompt_length").asInt()).isEqualTo(3);
        assertThat(json.get("stop_reason").asText()).isEqualTo("length");
        assertThat(json.get("run_seconds")).hasSize(2);
        assertThat(json.get("new_tokens_per_second").asDouble()).isPositive();
        assertThat(json.get("ms_per_token").asDouble()).isPositive();
        assertThat(json.get("shape").get("layers").asInt()).isEqualTo(1);
        assertThat(json.get("shape").get("hidden").asInt()).isEqualTo(16);
        assertThat(json.get("shape").get("heads").asInt()).isEqualTo(2);
        assertThat(json.get("shape").get("vocab").asInt()).isEqualTo(32);
    }
}
