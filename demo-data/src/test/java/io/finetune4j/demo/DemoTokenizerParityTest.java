package io.finetune4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer files written for the learned merges encode, through Hugging Face's tokenizers library, to
 * exactly the tokens this package's own GPT-2-style encoder gives, and decode back to the text.
 */
class DemoTokenizerParityTest {
    @TempDir
    static Path dir;
    private static DemoData data;
    private static List<String> merges;
    private static HfTokenizer tokenizer;
    private static Map<Long, String> tokenById;

    @BeforeAll
    static void writeTokenizer() throws IOException {
        data = DemoData.generate(new DemoDataSpec(7, 600, 10, 40, 10, 700));
        merges = BpeTrainer.train(data.pretrain(), DemoDataWriter.mergesFor(700), 2);
        DemoDataWriter.writeTokenizer(dir, merges);
        tokenizer = HfTokenizer.load(dir);
        JsonNode vocab = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile()).path("model").path("vocab");
        tokenById = new HashMap<>();
        vocab.fields().forEachRemaining(entry -> tokenById.put(entry.getValue().asLong(), entry.getKey()));
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    @Test
    void vocabularyHoldsBytesMergesAndSpecialTokens() {
        assertThat(merges).hasSizeGreaterThan(100);
        long distinctMerged = merges.stream().map(merge -> merge.replace(" ", "")).distinct().count();
        assertThat(tokenizer.vocabSize()).isEqualTo(256 + distinctMerged + DemoDataWriter.SPECIAL_TOKENS.size())
                .isEqualTo(DemoDataWriter.vocabularySize(merges));
    }

    @Test
    void encodesLikeTheReferenceEncoder() {
        ByteLevelBpe reference = new ByteLevelBpe(merges);
        List<String> samples = new ArrayList<>(List.of(
                "Mila has a red cat. Mila's cat is red.",
                "Q: What is 7 plus 8?\nA: 7 plus 8 is 15.",
                "  leading spaces,\ttabs\n\nand   runs of   spaces ",
                "Unseen words: zebra, quixotic, 1234567, don't, we'll, they're!",
                "Accents and symbols: café, naïve, 日本語, ☃ — \"quoted\" (braces) {x}"));
        data.train().stream().limit(20).forEach(example -> samples.add(example.prompt() + example.completion()));
        data.general().forEach(samples::add);

        for (String text : samples) {
            long[] ids = tokenizer.encode(text, false);
            List<String> tokens = new ArrayList<>();
            for (long id : ids) {
                tokens.add(tokenById.get(id));
            }
            assertThat(tokens).as(text).isEqualTo(reference.tokens(text));
        }
    }

    @Test
    void decodeRoundTrips() {
        List<String> samples = List.of("Mila's cat is red.", "Q: Where did Tom go?\nA: Tom went to the park.",
                "  spaces  and café ☃\n", data.heldout().get(0).prompt() + data.heldout().get(0).completion());
        ByteLevelBpe reference = new ByteLevelBpe(merges);
        for (String text : samples) {
            assertThat(tokenizer.decode(tokenizer.encode(text, false), false)).isEqualTo(text);
            assertThat(ByteLevelBpe.decode(reference.tokens(text))).isEqualTo(text);
        }
    }

    @Test
    void trainedMergesShortenTheCorpus() {
        // The point of BPE: the demo text needs far fewer tokens than bytes.
        String story = data.pretrain().get(0);
        assertThat(tokenizer.encode(story, false).length).isLessThan(story.length() / 3);
    }
}
