package io.finetune4j.runtime.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFilesTest {
    private static final List<String> SPECIALS = List.of("<|bos|>", "<|eos|>", "<|pad|>");

    @TempDir
    Path dir;

    private HfTokenizer write(List<String> merges, String bos) {
        TokenizerFiles.writeByteLevel(dir, SPECIALS, merges, bos, "<|eos|>", "<|pad|>");
        return HfTokenizer.load(dir);
    }

    /** UTF-8 bytes as unsigned ints: without merges, each byte's id is its value. */
    private static long[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Test
    void byteTokensHaveTheByteValueAsId() {
        try (HfTokenizer tokenizer = write(List.of(), null)) {
            assertThat(tokenizer.encode("A", false)).containsExactly(65);
            assertThat(tokenizer.encode("é", false)).containsExactly(0xC3, 0xA9);
            assertThat(tokenizer.encode("a b\n", false)).containsExactly(utf8("a b\n"));
        }
    }

    @Test
    void vocabularyIsGpt2ByteCharactersInByteOrder() throws Exception {
        TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of(), null, null, null);

        JsonNode vocab = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile()).get("model").get("vocab");
        assertThat(vocab.get("!").asInt()).isEqualTo(33);
        assertThat(vocab.get("\u0100").asInt()).isEqualTo(0);   // byte 0 is GPT-2's 'Ā'
        assertThat(vocab.get("\u0120").asInt()).isEqualTo(32);  // space is 'Ġ'
        assertThat(vocab.get("\u010A").asInt()).isEqualTo(10);  // newline is 'Ċ'
        assertThat(vocab.get("\u00FF").asInt()).isEqualTo(255);
        assertThat(vocab.size()).isEqualTo(256);
    }

    @Test
    void mergesGetIdsAfterTheBytes() {
        try (HfTokenizer tokenizer = write(List.of("h e", "he l"), null)) {
            // "hello": h+e -> he (256), he+l -> hel (257), then l, o stay bytes.
            assertThat(tokenizer.encode("hello", false)).containsExactly(257, 'l', 'o');
            assertThat(tokenizer.vocabSize()).isEqualTo(256 + 2 + 3);
        }
    }

    @Test
    void specialTokensFollowTheMergesAndEncodeAsOneId() {
        try (HfTokenizer tokenizer = write(List.of("h e"), "<|bos|>")) {
            assertThat(tokenizer.encode("hi<|eos|>", false)).containsExactly('h', 'i', 258);
            assertThat(tokenizer.bosTokenId()).hasValue(257);
            assertThat(tokenizer.eosTokenIds()).containsExactly(258);
            assertThat(tokenizer.padTokenId()).isEqualTo(259);
        }
    }

    @Test
    void bosIsPrependedOnlyWithSpecialTokens() {
        try (HfTokenizer tokenizer = write(List.of(), "<|bos|>")) {
            assertThat(tokenizer.encode("hi", true)).containsExactly(256, 'h', 'i');
            assertThat(tokenizer.encode("hi", false)).containsExactly('h', 'i');
        }
    }

    @Test
    void withoutBosNothingIsPrepended() {
        try (HfTokenizer tokenizer = write(List.of(), null)) {
            assertThat(tokenizer.encode("hi", true)).containsExactly('h', 'i');
            assertThat(tokenizer.bosTokenId()).isEmpty();
        }
    }

    @Test
    void roundTripsArbitraryUtf8() {
        String text = "Grüße, 世界! 🙂\n\t  tabs\tand  spaces, ∑ x² — ok";
        try (HfTokenizer tokenizer = write(List.of("Ġ t", "Ġt a"), "<|bos|>")) {
            assertThat(tokenizer.decode(tokenizer.encode(text, false), false)).isEqualTo(text);
            assertThat(tokenizer.decode(tokenizer.encode(text, true), true)).isEqualTo(text);
        }
    }

    @Test
    void decodeKeepsOrSkipsSpecialTokens() {
        try (HfTokenizer tokenizer = write(List.of(), "<|bos|>")) {
            long[] ids = tokenizer.encode("ok<|eos|>", true);
            assertThat(tokenizer.decode(ids, false)).isEqualTo("<|bos|>ok<|eos|>");
            assertThat(tokenizer.decode(ids, true)).isEqualTo("ok");
        }
    }

    @Test
    void writesTokenizerConfigWithTheSpecialTokens() throws Exception {
        TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of(), "<|bos|>", "<|eos|>", null);

        JsonNode config = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(config.get("bos_token").asText()).isEqualTo("<|bos|>");
        assertThat(config.get("eos_token").asText()).isEqualTo("<|eos|>");
        assertThat(config.get("pad_token").isNull()).isTrue();
        assertThat(config.get("added_tokens_decoder").get("257").get("content").asText()).isEqualTo("<|eos|>");
    }

    @Test
    void rejectsMergeOfUnknownSymbols() {
        assertThatThrownBy(() -> TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of("he llo"), null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("merge 'he llo': 'he' is neither a byte character nor the result of an earlier merge");
        assertThat(Files.exists(dir.resolve("tokenizer.json"))).isFalse();
    }

    @Test
    void rejectsBosThatIsNotASpecialToken() {
        assertThatThrownBy(() -> TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of(), "<s>", null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'<s>' must be one of the special tokens [<|bos|>, <|eos|>, <|pad|>]");
    }
}
