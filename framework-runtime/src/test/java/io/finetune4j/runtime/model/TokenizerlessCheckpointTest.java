package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bare {@code save_pretrained} of a model (no tokenizer files) loads, as transformers'
 * {@code AutoModelForCausalLM.from_pretrained} does: ids work, text fails with a clear error, and special
 * ids outside the vocabulary (a real GPT-2 config's {@code bos_token_id: 50256}) only warn.
 */
class TokenizerlessCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void scoresIdsAndNamesTheMissingTokenizerForText() throws IOException {
        Path dir = bareCheckpoint(11, 50256, List.of(2, 50256));
        long[] ids = {1, 4, 7, 2};
        double[] expected;
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, 11)) {
            expected = TokenScorer.logProbs(model, ids);
        }
        try (CausalLM loaded = ModelLoader.load(dir, Device.cpu())) {
            assertThat(TokenScorer.logProbs(loaded, ids)).containsExactly(expected);
            assertThat(loaded.tokenizer().vocabSize()).isEqualTo(TestModels.VOCAB);
            assertThat(loaded.tokenizer().bosTokenId()).isEmpty();
            assertThat(loaded.tokenizer().eosTokenIds()).containsExactly(2);
            assertThat(loaded.tokenizer().padTokenId()).isEqualTo(2);
            assertThatThrownBy(() -> loaded.tokenizer().encode("hello", true))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(dir + ": text must be tokenized, but the checkpoint has no tokenizer (looked for "
                            + "tokenizer.json, and for vocab.json + merges.txt); give one with --tokenizer DIR on the "
                            + "command line or 'tokenizer: DIR' in the pipeline stage");
        }
    }

    @Test
    void aTokenizerFromElsewhereIsUsedAndCopiedOnSave() {
        Path dir = bareCheckpoint(1, 0, List.of(1));
        Path tokenizer = temp.resolve("tokenizer");
        TokenizerFiles.writeByteLevel(tokenizer, List.of("<|end|>"), List.of(), null, "<|end|>", null);
        Path saved = temp.resolve("saved");
        try (CausalLM loaded = ModelLoader.load(dir, tokenizer, Device.cpu())) {
            assertThat(loaded.tokenizer().encode("hi", false)).containsExactly('h', 'i');
            assertThat(loaded.tokenizer().eosTokenIds()).containsExactly(256); // <|end|>, beyond the 32 model rows: warned
            ModelLoader.save(loaded, saved);
        }
        assertThat(saved.resolve("tokenizer.json")).hasSameBinaryContentAs(tokenizer.resolve("tokenizer.json"));
    }

    /** A Llama checkpoint (vocab 32) without tokenizer files, config.json carrying the given special ids. */
    private Path bareCheckpoint(long seed, long bos, List<Integer> eos) {
        Path dir = temp.resolve("bare-" + seed);
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, seed)) {
            CheckpointWriter.write(dir, model.config(), model.parameters(), Map.of(), null);
        }
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
            config.put("bos_token_id", bos);
            config.set("eos_token_id", JSON.valueToTree(eos));
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        assertThat(dir.resolve("tokenizer.json")).doesNotExist();
        return dir;
    }
}
