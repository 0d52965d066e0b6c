package io.finetune4j.runtime.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Real tokenizers from ../shared/fixtures. Expected ids are the well-known ones of GPT-2 ("Hello" 15496,
 * " world" 995, <|endoftext|> 50256) and Llama 2 (<s> 1, </s> 2, "▁Hello" 15043, "▁world" 3186).
 */
class FixtureTokenizerTest {

    /** Loaded once per class: a real tokenizer takes about a second to load on a busy 2-core machine. */
    private static final Map<String, HfTokenizer> LOADED = new HashMap<>();

    private static HfTokenizer tokenizer(String name) {
        String shared = System.getProperty("finetune4j.shared", "../shared");
        Path dir = Path.of(shared, "fixtures", name);
        assumeTrue(Files.isDirectory(dir), "shared fixture " + dir + " is absent; skipping");
        return LOADED.computeIfAbsent(name, n -> HfTokenizer.load(dir));
    }

    @AfterAll
    static void closeTokenizers() {
        LOADED.values().forEach(HfTokenizer::close);
        LOADED.clear();
    }

    @Test
    void gpt2EncodesHelloWorld() {
        HfTokenizer tokenizer = tokenizer("lmbuddy_fake_gpt2");
        assertThat(tokenizer.encode("Hello world", true)).containsExactly(15496, 995);
        assertThat(tokenizer.decode(new long[] {15496, 995}, false)).isEqualTo("Hello world");
    }

    @Test
    void gpt2SpecialTokens() {
        HfTokenizer tokenizer = tokenizer("lmbuddy_fake_gpt2");
        assertThat(tokenizer.vocabSize()).isEqualTo(50257);
        assertThat(tokenizer.eosTokenIds()).containsExactly(50256);
        assertThat(tokenizer.bosTokenId()).hasValue(50256);
        assertThat(tokenizer.padTokenId()).isEqualTo(50256);
        assertThat(tokenizer.encode("<|endoftext|>", false)).containsExactly(50256);
    }

    @Test
    void gpt2RoundTripsNonAsciiText() {
        String text = "naïve café — 東京 🙂";
        HfTokenizer tokenizer = tokenizer("lmbuddy_fake_gpt2");
        assertThat(tokenizer.decode(tokenizer.encode(text, false), false)).isEqualTo(text);
    }

    @Test
    void llamaEncodesHelloWorldWithBos() {
        HfTokenizer tokenizer = tokenizer("ortgenai_tiny_random_llama_tokenizer");
        assertThat(tokenizer.encode("Hello world", true)).containsExactly(1, 15043, 3186);
        assertThat(tokenizer.encode("Hello world", false)).containsExactly(15043, 3186);
        assertThat(tokenizer.decode(new long[] {1, 15043, 3186, 2}, true)).isEqualTo("Hello world");
    }

    @Test
    void llamaSpecialTokensAndChatTemplate() {
        HfTokenizer tokenizer = tokenizer("ortgenai_tiny_random_llama_tokenizer");
        assertThat(tokenizer.eosTokenIds()).containsExactly(2);
        assertThat(tokenizer.bosTokenId()).hasValue(1);
        assertThat(tokenizer.padTokenId()).isZero(); // pad_token is <unk>
        assertThat(tokenizer.vocabSize()).isEqualTo(32000);
        assertThat(tokenizer.chatTemplate()).hasValueSatisfying(t -> assertThat(t).contains("[INST]"));
    }

    @Test
    void tinyGpt2VocabAndMergesTokenize() {
        // vocab.json + merges.txt only. " lower": Ġ+l, Ġl+o, Ġlo+w, e+r -> Ġlow (14), er (15);
        // " newer": no merge joins Ġ and n -> Ġ (10), n (9), e (3), w (2), er (15).
        HfTokenizer tokenizer = tokenizer("lmbuddy_tiny_gpt2_base");
        long[] ids = tokenizer.encode(" lower newer", false);
        assertThat(ids).containsExactly(14, 15, 10, 9, 3, 2, 15);
        assertThat(tokenizer.decode(ids, false)).isEqualTo(" lower newer");
        assertThat(tokenizer.vocabSize()).isEqualTo(21);
        assertThat(tokenizer.eosTokenIds()).containsExactly(20);
    }

    @Test
    void tinyGpt2MapsUnknownSymbolsToUnk() {
        // Like GPT-2's slow tokenizer: 'H' is not in this 21-token vocabulary, so it becomes <unk> (19).
        HfTokenizer tokenizer = tokenizer("lmbuddy_tiny_gpt2_base");
        assertThat(tokenizer.encode("Hello", false)).containsExactly(19, 3, 0, 0, 1);
    }
}
