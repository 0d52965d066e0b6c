package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ft4j run --resume}: an interrupted stage continues from its checkpoint and ends where it would have. */
class PipelineResumeTest {
    @TempDir
    Path temp;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void anInterruptedStageResumesFromItsCheckpointToTheSameAdapter() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                name: resumable
                seed: 4
                stages:
                  - name: first
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 1.0e-2, max_length: 32}
                  - name: second
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 6, batch_size: 2, learning_rate: 2.0e-2, max_length: 32, save_steps: 2,
                               save_total_limit: 1, warmup_steps: 1, lr_schedule: cosine}
                """);
        Path run = temp.resolve("run");
        Result whole = ft4j("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        assertThat(whole.code()).as(whole.err()).isZero();
        Path stage = run.resolve("second");
        byte[] uninterrupted = Files.readAllBytes(stage.resolve("adapter/adapter_model.safetensors"));
        byte[] firstModel = Files.readAllBytes(run.resolve("first/model/model.safetensors"));
        // Only the newest checkpoint is kept; the last step writes none (the stage's outputs follow it).
        try (Stream<Path> children = Files.list(stage.resolve("checkpoints"))) {
            assertThat(children.map(p -> p.getFileName().toString()).toList()).containsExactly("checkpoint-4");
        }

        // A crash after step 4 of the second stage: its checkpoint is all it left.
        try (Stream<Path> children = Files.list(stage)) {
            for (Path child : children.filter(p -> !p.getFileName().toString().equals("checkpoints")).toList()) {
                AtomicFiles.deleteRecursively(child);
            }
        }
        Result resumed = ft4j("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu", "--resume");

        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("stage first: finished in an earlier invocation; skipped")
                .contains("stage second: resuming from " + stage.resolve("checkpoints/checkpoint-4"));
        assertThat(Files.readAllBytes(stage.resolve("adapter/adapter_model.safetensors"))).isEqualTo(uninterrupted);
        assertThat(Files.readAllBytes(run.resolve("first/model/model.safetensors"))).isEqualTo(firstModel);
    }

    @Test
    void resumingWithAnotherPipelineFileIsRefused() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        String yaml = """
                stages:
                  - name: only
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 1, batch_size: 3, max_length: 32}
                """;
        Path pipeline = project.write("pipeline.yaml", yaml);
        Path run = temp.resolve("run");
        assertThat(ft4j("run", pipeline.toString(), "--output", run.toString()).code()).isZero();
        project.write("pipeline.yaml", yaml.replace("max_steps: 1", "max_steps: 2"));

        Result resumed = ft4j("run", pipeline.toString(), "--output", run.toString(), "--resume");

        assertThat(resumed.code()).isNotZero();
        assertThat(resumed.err()).contains("was run with a different pipeline file");
    }
}
