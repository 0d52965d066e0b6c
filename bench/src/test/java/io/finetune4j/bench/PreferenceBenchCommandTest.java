package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class PreferenceBenchCommandTest {
    @ParameterizedTest
    @ValueSource(strings = {"adapters-disabled", "checkpoint"})
    void timesSftAndDpoOnTheSameTokens(String reference) throws Exception {
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new PreferenceBenchCommand(new ClassPathBenchPlugins()));
        cli.setOut(new PrintWriter(text));

        int exit = cli.execute("--layers", "1", "--hidden", "16", "--heads", "2", "--vocab", "300", "--seq", "24",
                "--pairs", "2", "--steps", "2", "--warmup", "1", "--reference", reference, "--json");

        assertThat(exit).isZero();
        JsonNode json = new ObjectMapper().readTree(text.toString());
        assertThat(json.get("reference").asText()).isEqualTo(reference);
        // 2 pairs x (chosen + rejected) x (6 prompt chars + 16 answer chars + BOS + EOS).
        assertThat(json.get("tokens_per_step").asLong()).isEqualTo(2L * 2 * 24);
        assertThat(json.get("sft_step_seconds").asDouble()).isPositive();
        assertThat(json.get("dpo_step_seconds").asDouble()).isPositive();
        assertThat(json.get("dpo_over_sft").asDouble())
                .isEqualTo(json.get("dpo_step_seconds").asDouble() / json.get("sft_step_seconds").asDouble());
        // The SFT timing runs first and moves the LoRA away from the reference: a finite, positive DPO loss.
        assertThat(json.get("dpo_first_loss").asDouble()).isPositive().isFinite();
        assertThat(json.get("base_weight_bytes").asLong()).isPositive();
    }

    @Test
    void rejectsAnUnknownReference() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new PreferenceBenchCommand(new ClassPathBenchPlugins()));
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("--reference", "twin")).isNotZero();
    }
}
