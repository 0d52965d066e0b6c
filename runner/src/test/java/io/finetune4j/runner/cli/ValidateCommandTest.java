package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.testing.Ft4jRun;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {
    @TempDir
    Path temp;

    @Test
    void aValidPipelineExitsZeroWithoutTraining() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl, max_rows: 4}
                """);

        Ft4jRun result = Ft4jRun.of("validate", pipeline.toString());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo("stages[0] sft: method full, objective sft, 4 training rows from [train.jsonl]\n"
                + pipeline + ": valid (1 stages)\n");
        assertThat(project.dir().resolve("runs")).doesNotExist();
    }

    @Test
    void aCheckpointWithoutTokenizerIsReportedBeforeLoading() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path bare = project.dir().resolve("bare");
        try (CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(TinyProject.VOCAB, 16, 2, 2, 1, 32, 64),
                null, null, 5, Device.cpu())) {
            CheckpointWriter.write(bare, model.config(), model.parameters(), Map.of(), null);
        }
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: sft
                    base: bare
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                """);

        Ft4jRun result = Ft4jRun.of("validate", pipeline.toString());

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("stages[0].base: " + bare + " has no tokenizer (tokenizer.json, or vocab.json "
                + "+ merges.txt) and the stage's data must be tokenized; add 'tokenizer: DIR' to the stage");
    }

    @Test
    void badDataOptionsAreNamedByTheirPath() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl, max_rows: 0, columns: {prompt: nope}}
                """);

        Ft4jRun result = Ft4jRun.of("validate", pipeline.toString());

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("stages[0].data.max_rows: must be > 0, was 0")
                .contains("train.jsonl:1: column \"nope\" (columns.prompt) is not in the line; it has [prompt, completion]");
    }
}
