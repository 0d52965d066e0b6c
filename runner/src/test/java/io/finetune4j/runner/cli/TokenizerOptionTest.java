package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.testing.Ft4jRun;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint without tokenizer files: ids work everywhere, text takes {@code --tokenizer} or {@code tokenizer:}. */
class TokenizerOptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

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

        Ft4jRun byIds = Ft4jRun.of("score", "--model", bare.toString(), "--ids", "104,105,33", "--json");
        Ft4jRun byText = Ft4jRun.of("score", "--model", bare.toString(), "--tokenizer", tok, "--text", "hi!", "--json");
        Ft4jRun refused = Ft4jRun.of("score", "--model", bare.toString(), "--text", "hi!");

        assertThat(byIds.code()).as(byIds.err()).isZero();
        assertThat(byText.code()).as(byText.err()).isZero();
        JsonNode ids = JSON.readTree(byIds.out());
        JsonNode text = JSON.readTree(byText.out());
        // The byte-level tokenizer with <s> as BOS: "hi!" is [256, 104, 105, 33].
        assertThat(text.get("ids").toString()).isEqualTo("[256,104,105,33]");
        // The same ids score the same with or without a tokenizer.
        Ft4jRun idsWithTokenizer = Ft4jRun.of("score", "--model", bare.toString(), "--tokenizer", tok, "--ids", "104,105,33", "--json");
        assertThat(JSON.readTree(idsWithTokenizer.out()).get("logprobs")).isEqualTo(ids.get("logprobs"));
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains(bare + ": text must be tokenized, but the checkpoint has no tokenizer")
                .contains("--tokenizer DIR");
    }

    @Test
    void generatesFromPromptIdsWithoutATokenizer() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path bare = bare(project);

        Ft4jRun result = Ft4jRun.of("generate", "--model", bare.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "4", "--json");

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

        Ft4jRun result = Ft4jRun.of("run", pipeline.toString(), "--output", run.toString());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(run.resolve("sft/model/tokenizer.json")).exists();
    }
}
