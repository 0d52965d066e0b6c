package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.model.ModelFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint without tokenizer files: ids work everywhere, text takes {@code --tokenizer} or {@code tokenizer:}. */
class TokenizerOptionTest {
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

    /** A random Llama checkpoint (the tiny project's config) saved without tokenizer files. */
    private Path bare(TinyProject project) {
        Path dir = project.dir().resolve("bare");
        try (CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(TinyProject.VOCAB, 16, 2, 2, 1, 32, 64),
                null, null, 5, Device.cpu())) {
            CheckpointWriter.write(dir, model.config(), model.parameters(), Map.of(), null);
        }
        return dir;
    }

    @Test
    void scoresIdsWithoutATokenizerAndTextWithOneFromElsewhere() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path bare = bare(project);
        String tok = project.dir().resolve("tok").toString();

        Result byIds = ft4j("score", "--model", bare.toString(), "--ids", "104,105,33", "--json");
        Result byText = ft4j("score", "--model", bare.toString(), "--tokenizer", tok, "--text", "hi!", "--json");
        Result refused = ft4j("score", "--model", bare.toString(), "--text", "hi!");

        assertThat(byIds.code()).as(byIds.err()).isZero();
        assertThat(byText.code()).as(byText.err()).isZero();
        JsonNode ids = JSON.readTree(byIds.out());
        JsonNode text = JSON.readTree(byText.out());
        // The byte-level tokenizer with <s> as BOS: "hi!" is [256, 104, 105, 33].
        assertThat(text.get("ids").toString()).isEqualTo("[256,104,105,33]");
        // The same ids score the same with or without a tokenizer.
        Result idsWithTokenizer = ft4j("score", "--model", bare.toString(), "--tokenizer", tok, "--ids", "104,105,33", "--json");
        assertThat(JSON.readTree(idsWithTokenizer.out()).get("logprobs")).isEqualTo(ids.get("logprobs"));
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains(bare + ": text must be tokenized, but the checkpoint has no tokenizer")
                .contains("--tokenizer DIR");
    }

    @Test
    void generatesFromPromptIdsWithoutATokenizer() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path bare = bare(project);

        Result result = ft4j("generate", "--model", bare.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "4", "--json");

        assertThat(result.code()).as(result.err()).isZero();
        JsonNode line = JSON.readTree(result.out());
        assertThat(line.get("prompt_ids").toString()).isEqualTo("[1,2,3]");
        assertThat(line.get("output_ids").size()).isEqualTo(4);
        assertThat(line.get("text").isNull()).isTrue();
    }

    @Test
    void aStageTakesItsTokenizerFromTheTokenizerKey() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        bare(project);
        Path pipeline = project.write("pipeline.yaml", """
                stages:
                  - name: sft
                    base: bare
                    tokenizer: tok
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 1, batch_size: 2, max_length: 32}
                """);
        Path run = temp.resolve("run");

        Result result = ft4j("run", pipeline.toString(), "--output", run.toString());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(run.resolve("sft/model/tokenizer.json")).exists();
    }
}
