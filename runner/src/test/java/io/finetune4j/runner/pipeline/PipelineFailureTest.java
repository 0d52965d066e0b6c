package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run whose second stage fails still reports what the first stage measured. */
class PipelineFailureTest {
    @TempDir
    Path temp;

    @Test
    void aFailingStageStillLeavesTheReportOfTheFinishedStages() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        // The second stage's learning rate makes the loss overflow: a real failure in the middle of a run.
        Path pipeline = project.write("pipeline.yaml", """
                name: failing
                seed: 5
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 1.0e-2, max_length: 32}
                    evaluators:
                      - {id: perplexity, data: data/heldout.jsonl, when: [before, after]}
                  - name: explode
                    base: previous
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 6, batch_size: 3, learning_rate: 1.0e+30, max_grad_norm: 0, max_length: 32}
                """);
        Path run = temp.resolve("run");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");

        assertThat(code).as("stdout: %s", out).isNotZero();
        assertThat(err.toString()).contains("explode");
        String report = Files.readString(run.resolve("report.md"));
        assertThat(report).contains("run stopped: stage 'explode' failed");
        assertThat(report).contains("## Stage sft").contains("perplexity");
        assertThat(run.resolve("report.html")).exists();
        assertThat(run.resolve("eval.jsonl")).exists();
        assertThat(out.toString()).contains("report of the finished stages: " + run.resolve("report.html"));
    }
}
