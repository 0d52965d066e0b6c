package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.gguf.GgufFile;
import io.finetune4j.runtime.io.gguf.GgufReader;
import io.finetune4j.runtime.io.gguf.GgufTensorInfo;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportParityCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temp;
    static Path base;
    static Path adapter;
    static Path prompts;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** A base trained two steps, then a LoRA adapter trained a few steps at a high rate so it changes the outputs. */
    @BeforeAll
    static void trainAnAdapter() {
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
                    method: {id: lora, r: 2, lora_alpha: 8, target_modules: all-linear}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 3, batch_size: 3, learning_rate: 5.0e-2, max_length: 32}
                    output: {merge: false}
                """);
        Path run = temp.resolve("run");
        Result trained = ft4j("run", pipeline.toString(), "--output", run.toString());
        assertThat(trained.code()).as(trained.err()).isZero();
        base = run.resolve("base/model");
        adapter = run.resolve("tuned/adapter");
        prompts = project.write("prompts.jsonl", """
                {"prompt": "1+1="}
                {"text": "two plus two is four"}
                """);
    }

    @Test
    void exportedF32GgufOfTheMergedAdapterPassesParity() throws Exception {
        Path gguf = temp.resolve("out/tuned-f32.gguf");
        Result export = ft4j("export", "--model", base.toString(), "--adapter", adapter.toString(), "--format", "gguf",
                "--dtype", "f32", "--ollama", "--output", gguf.toString(), "--json");
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(JSON.readTree(export.out()).get("architecture").asText()).isEqualTo("llama");

        Result parity = ft4j("parity", "--model", base.toString(), "--adapter", adapter.toString(), "--gguf",
                gguf.toString(), "--prompts", prompts.toString(), "--tolerance", "1e-4", "--json");

        assertThat(parity.code()).as(parity.err() + parity.out()).isZero();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : parity.out().strip().split("\n")) {
            rows.add(JSON.readTree(line));
        }
        assertThat(rows).extracting(row -> row.get("artefact").asText()).containsExactly("adapted", "merged", "gguf");
        for (JsonNode row : rows) {
            assertThat(row.get("max_abs_logit_difference").asDouble()).isLessThan(1e-4);
            assertThat(row.get("greedy_agreement").asDouble()).isEqualTo(1.0);
            assertThat(row.get("perplexity").asDouble()).isCloseTo(rows.get(0).get("perplexity").asDouble(),
                    org.assertj.core.api.Assertions.within(1e-3));
        }
        // the tiny tokenizer has no chat template: the documented fallback, and its EOS as a stop
        String modelfile = Files.readString(gguf.resolveSibling("Modelfile"));
        assertThat(modelfile).startsWith("FROM ./tuned-f32.gguf\n")
                .contains("TEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n")
                .contains("PARAMETER stop \"</s>\"\n");
    }

    @Test
    void aCorruptedTensorFailsParityNamingTheGgufArtefact() throws Exception {
        Path gguf = temp.resolve("corrupt/tuned.gguf");
        assertThat(ft4j("export", "--model", base.toString(), "--adapter", adapter.toString(), "--dtype", "f32",
                "--output", gguf.toString()).code()).isZero();
        GgufFile file = GgufReader.read(gguf);
        GgufTensorInfo q = file.tensor("blk.0.attn_q.weight").orElseThrow();
        try (RandomAccessFile raf = new RandomAccessFile(gguf.toFile(), "rw")) {
            raf.seek(file.dataStart() + q.offset());
            for (int i = 0; i < 16; i++) {
                raf.writeInt(Float.floatToIntBits(3.0f)); // big-endian 3.0f: a different, finite little-endian value
            }
        }

        Result parity = ft4j("parity", "--model", base.toString(), "--adapter", adapter.toString(), "--gguf",
                gguf.toString(), "--prompts", prompts.toString());

        assertThat(parity.code()).isEqualTo(2);
        assertThat(parity.err()).contains("parity: gguf (" + gguf + ") beyond tolerance");
        assertThat(parity.out()).contains("merged").contains("gguf");
    }

    @Test
    void anUnknownDtypeIsRefusedWithTheSupportedOnes() {
        Result export = ft4j("export", "--model", base.toString(), "--dtype", "q4_k", "--output",
                temp.resolve("x.gguf").toString());

        assertThat(export.code()).isEqualTo(2);
        assertThat(export.err()).contains("--dtype: 'q4_k' is not supported; supported: [f32, f16, q8_0]");
    }
}
