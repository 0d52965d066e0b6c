package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code output: {merge: true, parity: true}}: the merged checkpoint read back and compared with the adapted one. */
class StageParityTest {
    @TempDir
    Path temp;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private static String pipeline(String output) {
        return """
                name: parity
                seed: 5
                stages:
                  - name: tuned
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 2, learning_rate: 5.0e-2, max_length: 32}
                    output: %s
                """.formatted(output);
    }

    @Test
    void aMergedStageWithParityPassesAndReportsIt() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path file = project.write("pipeline.yaml", pipeline("{merge: true, parity: true, parity_tolerance: 1.0e-3}"));
        Path run = temp.resolve("run");

        Result result = ft4j("run", file.toString(), "--output", run.toString(), "--device", "cpu");

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out() + result.err()).containsPattern(
                "parity tuned: merged checkpoint .*model: max \\|Δ logit\\| \\S+ against the adapted model "
                        + "\\(tolerance 0\\.00100\\)");
        JsonNode parity = new ObjectMapper().readTree(run.resolve("tuned/metrics.json").toFile()).get("parity");
        assertThat(parity.get("artefact").asText()).isEqualTo("model/");
        assertThat(parity.get("max_abs_logit_difference").asDouble()).isBetween(0.0, 1e-3);
        assertThat(parity.get("greedy_agreement").asDouble()).isEqualTo(1.0);
        assertThat(parity.get("tolerance").asDouble()).isEqualTo(1e-3);
    }

    @Test
    void badParityKeysAreReportedWithTheirPaths() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path typo = project.write("typo.yaml", pipeline("{merge: true, parity: true, parity_tolerence: 0.1}"));
        Path noMerge = project.write("nomerge.yaml", pipeline("{merge: false, parity: true}"));
        Path badTolerance = project.write("tolerance.yaml", pipeline("{parity: true, parity_tolerance: -1}"));
        Path orphan = project.write("orphan.yaml", pipeline("{parity_tolerance: 0.1}"));

        assertThat(ft4j("validate", typo.toString()).err()).contains("stages[0].output").contains("parity_tolerence");
        assertThat(ft4j("validate", noMerge.toString()).err()).contains("stages[0].output.parity")
                .contains("needs merge: true");
        assertThat(ft4j("validate", badTolerance.toString()).err()).contains("stages[0].output.parity_tolerance")
                .contains("must be a number > 0");
        assertThat(ft4j("validate", orphan.toString()).err()).contains("stages[0].output.parity_tolerance")
                .contains("only used with parity: true");
        assertThat(ft4j("validate", typo.toString()).code()).isNotZero();
    }
}
