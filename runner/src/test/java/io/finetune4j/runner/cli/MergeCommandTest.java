package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

class MergeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

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
    void theMergedCheckpointScoresExactlyAsBasePlusAdapter() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: base
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, max_length: 32}
                  - name: tuned
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 8, target_modules: all-linear, use_dora: true}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 3, batch_size: 3, learning_rate: 5.0e-2, max_length: 32}
                    output: {merge: false}
                """);
        Path run = temp.resolve("run");
        Result trained = ft4j("run", pipeline.toString(), "--output", run.toString());
        assertThat(trained.code()).as(trained.err()).isZero();
        Path base = run.resolve("base/model");
        Path adapter = run.resolve("tuned/adapter");
        Path merged = temp.resolve("merged");

        Result merge = ft4j("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--output",
                merged.toString(), "--json");

        assertThat(merge.code()).as(merge.err()).isZero();
        assertThat(JSON.readTree(merge.out()).get("max_abs_logit_difference").asDouble()).isLessThan(1e-4);
        JsonNode adapted = JSON.readTree(ft4j("score", "--model", base.toString(), "--adapter", adapter.toString(),
                "--text", "3+1=4", "--json").out());
        JsonNode plain = JSON.readTree(ft4j("score", "--model", merged.toString(), "--text", "3+1=4", "--json").out());
        JsonNode bare = JSON.readTree(ft4j("score", "--model", base.toString(), "--text", "3+1=4", "--json").out());
        for (int i = 1; i < adapted.get("logprobs").size(); i++) {
            assertThat(plain.get("logprobs").get(i).asDouble())
                    .isCloseTo(adapted.get("logprobs").get(i).asDouble(), within(1e-4));
        }
        // The adapter changed the model: the comparison above is not between two copies of the base.
        assertThat(bare.get("perplexity").asDouble()).isNotCloseTo(adapted.get("perplexity").asDouble(), within(1e-3));
    }

    @Test
    void anExistingOutputModelIsNotOverwritten() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        project.write("out/config.json", "{}");
        Result merge = ft4j("merge", "--model", project.dir().resolve("model").toString(), "--adapter",
                project.dir().resolve("nowhere").toString(), "--output", project.dir().resolve("out").toString());

        assertThat(merge.code()).isEqualTo(2);
        assertThat(merge.err()).contains("already holds a model");
    }
}
