package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A far too high learning rate collapses the model without a NaN; the divergence guard stops the stage. */
class DivergenceTest {
    @TempDir
    Path temp;

    @Test
    void aCollapsedModelStopsTheStageWithItsLastGoodCheckpointAndAReport() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                name: diverging
                seed: 2
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 300, batch_size: 2, learning_rate: 1.0e+4, max_length: 32, save_steps: 1,
                               save_total_limit: 2, logging_steps: 1, max_grad_norm: 0,
                               divergence: {loss_patience: 8, zero_grad_steps: 8}}
                """);
        Path run = temp.resolve("run");
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");

        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("diverged: ").doesNotContain("internal error");
        assertThat(run.resolve("report.html")).exists();
        assertThat(Files.readString(run.resolve("report.md"))).contains("run stopped: stage 'sft' failed: ");
        // No checkpoint was written inside the diverging streak, so what is kept predates it.
        try (Stream<Path> children = Files.list(run.resolve("sft/checkpoints"))) {
            int newest = children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-"))
                    .mapToInt(n -> Integer.parseInt(n.substring("checkpoint-".length()))).max().orElse(0);
            int stopped = Integer.parseInt(err.toString().replaceAll("(?s).*step (\\d+) of 300: diverged.*", "$1"));
            assertThat(newest).isLessThanOrEqualTo(stopped - 8);
        }
    }
}
