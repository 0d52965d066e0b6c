package io.finetune4j.runtime.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Special-token resolution and loading rules, on byte-level tokenizers written by {@link TokenizerFiles}. */
class HfTokenizerTest {
    // Ids: bytes 0..255, then <s> 256, </s> 257, <pad> 258, <|eot|> 259.
    private static final List<String> SPECIALS = List.of("<s>", "</s>", "<pad>", "<|eot|>");

    @TempDir
    Path dir;

    @BeforeEach
    void writeTokenizer() {
        TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of(), "<s>", "</s>", "<pad>");
    }

    private void file(String name, String json) throws Exception {
        Files.writeString(dir.resolve(name), json);
    }

    @Test
    void readsSpecialTokensFromTokenizerConfig() {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.bosTokenId()).hasValue(256);
            assertThat(tokenizer.eosTokenIds()).containsExactly(257);
            assertThat(tokenizer.padTokenId()).isEqualTo(258);
            assertThat(tokenizer.bosToken()).hasValue("<s>");
            assertThat(tokenizer.eosToken()).hasValue("</s>");
        }
    }

    @Test
    void acceptsAddedTokenObjects() throws Exception {
        file("tokenizer_config.json", """
                {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": {"content": "<|eot|>"},
                 "pad_token": {"content": "</s>"}}
                """);

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.bosTokenId()).hasValue(256);
            assertThat(tokenizer.eosTokenIds()).containsExactly(259);
            assertThat(tokenizer.padTokenId()).isEqualTo(257);
        }
    }

    @Test
    void eosIdsAreTheUnionOfTokenizerConfigAndGenerationConfig() throws Exception {
        file("tokenizer_config.json", "{\"eos_token\": \"<|eot|>\"}");
        file("generation_config.json", "{\"eos_token_id\": [257, 259]}");
        file("config.json", "{\"eos_token_id\": 42}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.eosTokenIds()).containsExactly(259, 257);
        }
    }

    @Test
    void configJsonIsTheLastFallback() throws Exception {
        file("tokenizer_config.json", "{}");
        file("config.json", "{\"bos_token_id\": 256, \"eos_token_id\": 257, \"pad_token_id\": null}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.bosTokenId()).hasValue(256);
            assertThat(tokenizer.eosTokenIds()).containsExactly(257);
            assertThat(tokenizer.padTokenId()).isEqualTo(257);
            assertThat(tokenizer.eosToken()).hasValue("</s>");
        }
    }

    @Test
    void generationConfigGivesIdsWhenTokenizerConfigHasNone() throws Exception {
        file("tokenizer_config.json", "{\"bos_token\": null}");
        file("generation_config.json", "{\"bos_token_id\": 259, \"eos_token_id\": 257, \"pad_token_id\": 256}");
        file("config.json", "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"pad_token_id\": 3}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.bosTokenId()).hasValue(259);
            assertThat(tokenizer.eosTokenIds()).containsExactly(257);
            assertThat(tokenizer.padTokenId()).isEqualTo(256);
        }
    }

    @Test
    void padFallsBackToFirstEos() throws Exception {
        file("tokenizer_config.json", "{\"eos_token\": \"</s>\", \"pad_token\": null}");
        file("generation_config.json", "{\"pad_token_id\": -1}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.padTokenId()).isEqualTo(257);
        }
    }

    @Test
    void padIsZeroWhenNothingIsDeclared() throws Exception {
        file("tokenizer_config.json", "{}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.padTokenId()).isZero();
            assertThat(tokenizer.eosTokenIds()).isEmpty();
            assertThat(tokenizer.bosTokenId()).isEmpty();
        }
    }

    @Test
    void readsChatTemplateFromTokenizerConfig() throws Exception {
        file("tokenizer_config.json", "{\"chat_template\": \"{{ messages[0]['content'] }}\"}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.chatTemplate()).hasValue("{{ messages[0]['content'] }}");
        }
    }

    @Test
    void readsChatTemplateJinjaFile() throws Exception {
        file("chat_template.jinja", "{% for m in messages %}{{ m.content }}{% endfor %}");

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.chatTemplate()).hasValue("{% for m in messages %}{{ m.content }}{% endfor %}");
        }
    }

    @Test
    void noChatTemplateIsEmpty() {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.chatTemplate()).isEmpty();
        }
    }

    @Test
    void longInputsAreNotTruncated() {
        String text = "ab".repeat(1500);

        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.encode(text, false)).hasSize(3000);
        }
    }

    @Test
    void decodeSkipsIdsBeyondTheVocabulary() {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.decode(new long[] {'h', 5000, 'i'}, false)).isEqualTo("hi");
        }
    }

    @Test
    void decodeRejectsNegativeIds() {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThatThrownBy(() -> tokenizer.decode(new long[] {-1}, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("negative token id -1 in [-1]");
        }
    }

    @Test
    void missingTokenizerNamesTheDirectoryAndTheFilesLookedFor(@TempDir Path empty) {
        assertThatThrownBy(() -> HfTokenizer.load(empty))
                .isInstanceOf(ConfigException.class)
                .hasMessage(empty + ": no tokenizer found; looked for tokenizer.json, and for vocab.json + merges.txt");
    }

    @Test
    void missingDirectoryIsNamed() {
        Path absent = dir.resolve("absent");

        assertThatThrownBy(() -> HfTokenizer.load(absent))
                .isInstanceOf(ConfigException.class)
                .hasMessage(absent + ": tokenizer directory not found");
    }

    @Test
    void invalidTokenizerConfigNamesTheFile() throws Exception {
        file("tokenizer_config.json", "{\"eos_token\": ");

        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("tokenizer_config.json") + ": not valid JSON: ");
    }

    @Test
    void tokenizerJsonTheLibraryRejectsNamesTheFile(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nope\", \"vocab\": {}}}");

        assertThatThrownBy(() -> HfTokenizer.load(other))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(other.resolve("tokenizer.json") + ": the tokenizers library cannot load it: ");
    }

    @Test
    void buildsByteLevelTokenizerFromVocabAndMerges(@TempDir Path gpt2) throws Exception {
        // The classic BPE example: merges apply in rank order; symbols missing from the vocabulary map to <unk>.
        Files.writeString(gpt2.resolve("vocab.json"), """
                {"l": 0, "o": 1, "w": 2, "e": 3, "r": 4, "\u0120": 5, "\u0120l": 6, "\u0120lo": 7, "\u0120low": 8,
                 "er": 9, "<unk>": 10, "<|endoftext|>": 11}
                """);
        Files.writeString(gpt2.resolve("merges.txt"), "#version: 0.2\n\u0120 l\n\u0120l o\n\u0120lo w\ne r\n");
        Files.writeString(gpt2.resolve("tokenizer_config.json"),
                "{\"eos_token\": \"<|endoftext|>\", \"unk_token\": \"<unk>\", \"add_bos_token\": false}");

        try (HfTokenizer tokenizer = HfTokenizer.load(gpt2)) {
            assertThat(tokenizer.encode(" lower", false)).containsExactly(8, 9);
            assertThat(tokenizer.encode("low!", false)).containsExactly(0, 1, 2, 10);
            assertThat(tokenizer.decode(new long[] {8, 9, 5, 0}, false)).isEqualTo(" lower l");
            assertThat(tokenizer.encode("<|endoftext|>", false)).containsExactly(11);
            assertThat(tokenizer.eosTokenIds()).containsExactly(11);
            assertThat(tokenizer.vocabSize()).isEqualTo(12);
        }
    }
}
