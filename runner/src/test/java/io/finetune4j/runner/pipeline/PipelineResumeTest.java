package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    void aResumedRunReportsEveryStageAndLogsEachStepOnce() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        project.write("data/general.jsonl", """
                {"text": "the cat sat"}
                {"text": "on the mat"}
                {"text": "a b c d"}
                """);
        Path pipeline = project.write("pipeline.yaml", """
                name: resumable-report
                seed: 9
                stages:
                  - name: first
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 1.0e-2, max_length: 32, logging_steps: 1}
                    evaluators:
                      - {id: perplexity, data: data/general.jsonl, when: [before, after]}
                  - name: second
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 6, batch_size: 2, learning_rate: 2.0e-2, max_length: 32, save_steps: 2,
                               save_total_limit: 1, logging_steps: 1}
                    evaluators:
                      - {id: perplexity, data: data/general.jsonl, when: [before, after]}
                """);
        Path run = temp.resolve("run");
        Result whole = ft4j("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        assertThat(whole.code()).as(whole.err()).isZero();
        List<String> wholeSteps = Files.readAllLines(run.resolve("metrics.jsonl"));
        List<String> wholeEval = Files.readAllLines(run.resolve("eval.jsonl"));
        assertThat(wholeEval).hasSize(4);

        // A crash after step 5 of the second stage: checkpoint-4 and the steps logged up to 5 are what it left,
        // the last of them torn mid-line.
        Path stage = run.resolve("second");
        try (Stream<Path> children = Files.list(stage)) {
            for (Path child : children.filter(p -> !p.getFileName().toString().equals("checkpoints")).toList()) {
                AtomicFiles.deleteRecursively(child);
            }
        }
        List<String> crashed = new ArrayList<>(wholeSteps.subList(0, wholeSteps.size() - 1));
        String last = crashed.remove(crashed.size() - 1);
        crashed.add(last.substring(0, last.length() / 2));
        Files.writeString(run.resolve("metrics.jsonl"), String.join("\n", crashed));

        Result resumed = ft4j("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu", "--resume");

        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("metrics.jsonl:" + crashed.size() + ": not a logged step");
        List<String> resumedSteps = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertThat(stageSteps(resumedSteps, "first")).containsExactly(1, 2);
        assertThat(stageSteps(resumedSteps, "second")).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(stageSteps(resumedSteps, "second")).isEqualTo(stageSteps(wholeSteps, "second"));
        // The stage finished in the first invocation is reported as that invocation measured it.
        assertThat(Files.readAllLines(run.resolve("eval.jsonl")).subList(0, 2)).isEqualTo(wholeEval.subList(0, 2));
        assertThat(Files.readAllLines(run.resolve("eval.jsonl"))).hasSize(4);
        String report = Files.readString(run.resolve("report.md"));
        assertThat(report).contains("2 stage(s)", "## Stage first", "## Stage second");
        assertThat(Files.exists(run.resolve("charts/first-loss.png"))).isTrue();
    }

    private static List<Integer> stageSteps(List<String> lines, String stage) throws Exception {
        List<Integer> steps = new ArrayList<>();
        for (String line : lines) {
            JsonNode node = new ObjectMapper().readTree(line);
            if (node.path("stage").asText().equals(stage)) {
                steps.add(node.path("step").asInt());
            }
        }
        return steps;
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
