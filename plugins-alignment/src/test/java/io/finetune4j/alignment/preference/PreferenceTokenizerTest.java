package io.finetune4j.alignment.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.data.JsonlDatasetReader;
import io.finetune4j.runtime.data.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceTokenizerTest {
    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("model"), 1);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private PreferenceTokenizer tokenizer(int maxLength) {
        return new PreferenceTokenizer(lm.tokenizer, maxLength, "dpo");
    }

    private static Example.Preference row(String prompt, String chosen, String rejected) {
        return new Example.Preference(prompt, chosen, rejected, new Source("prefs.jsonl", 7));
    }

    @Test
    void promptWithSpecialTokensThenCompletionThenEos() {
        PreferencePair pair = tokenizer(64).tokenize(row("Q", "ab", "c"), "dpo");

        long[] prompt = lm.tokenizer.encode("Q", true);
        long eos = lm.id("</s>");
        TokenizedExample chosen = pair.chosen();
        assertThat(chosen.ids()).startsWith(prompt).endsWith(lm.tokenizer.encode("ab", false)[1], eos);
        assertThat(chosen.length()).isEqualTo(prompt.length + 3);
        for (int i = 0; i < chosen.length(); i++) {
            assertThat(chosen.targets()[i]).as("target %d", i).isEqualTo(i >= prompt.length);
        }
        assertThat(pair.rejected().ids()).endsWith(lm.tokenizer.encode("c", false)[0], eos);
        assertThat(pair.rejected().targetCount()).isEqualTo(2);
        assertThat(pair.source()).isEqualTo(new Source("prefs.jsonl", 7));
    }

    @Test
    void truncationKeepsTheEndDroppingPromptTokensFirst() {
        PreferencePair full = tokenizer(64).tokenize(row("a long prompt", "xy", "z"), "dpo");
        PreferencePair cut = tokenizer(5).tokenize(row("a long prompt", "xy", "z"), "dpo");

        long[] fullIds = full.chosen().ids();
        assertThat(cut.chosen().ids()).containsExactly(java.util.Arrays.copyOfRange(fullIds, fullIds.length - 5,
                fullIds.length));
        assertThat(cut.chosen().targetCount()).isEqualTo(3);   // x, y and EOS all kept
        assertThat(cut.rejected().length()).isEqualTo(5);
        assertThat(cut.rejected().targetCount()).isEqualTo(2);
    }

    @Test
    void rejectsAnEmptyCompletionWithFileAndLine() {
        assertThatThrownBy(() -> tokenizer(64).tokenize(row("Q", "fine", ""), "dpo"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("prefs.jsonl:7: \"rejected\" is empty; a preference row needs a non-empty chosen and"
                        + " rejected completion");
    }

    @Test
    void rejectsAnotherRowKindWithFileAndLine() {
        Dataset data = new Dataset("train.jsonl", List.of(
                new Example.Preference("p", "a", "b", new Source("train.jsonl", 1)),
                new Example.PromptCompletion("p", "a", new Source("train.jsonl", 2))));

        assertThatThrownBy(() -> tokenizer(64).tokenizeAll(List.of(data), "orpo"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:2: orpo trains on preference rows {\"prompt\", \"chosen\", \"rejected\"},"
                        + " found a PromptCompletion row");
    }

    @Test
    void aRowMissingRejectedIsRejectedWithItsLine() throws Exception {
        Path file = dir.resolve("prefs.jsonl");
        Files.writeString(file, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"p\", \"chosen\": \"a\"}\n");

        assertThatThrownBy(() -> JsonlDatasetReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage("prefs.jsonl:2: a preference row needs both \"chosen\" and \"rejected\"; "
                        + "this line has only \"chosen\"");
    }

    /** TRL v1.9 DataCollatorForPreference keep_start: {@code ids[:max_length]} of prompt + completion. */
    @Test
    void keepStartKeepsTheFirstMaxLengthTokens() {
        Dataset data = new Dataset("prefs.jsonl", List.of(row("Q", "abcdefgh", "z")));
        PreferencePair full = tokenizer(64).tokenize(row("Q", "abcdefgh", "z"), "dpo");

        PreferencePair cut = tokenizer(5).tokenizeAll(List.of(data), "dpo", PreferenceTruncation.KEEP_START).get(0);

        assertThat(cut.chosen().ids()).containsExactly(java.util.Arrays.copyOf(full.chosen().ids(), 5));
        assertThat(cut.chosen().targets()).containsExactly(java.util.Arrays.copyOf(full.chosen().targets(), 5));
        assertThat(cut.rejected()).isEqualTo(full.rejected());    // already short enough
    }

    /** TRL v1.9 DPOTrainer: {@code dataset.filter(len(prompt_ids) < max_length)} with keep_start. */
    @Test
    void keepStartDropsRowsWhosePromptFillsMaxLength() {
        int promptLength = lm.tokenizer.encode("long prompt", true).length;
        Dataset data = new Dataset("prefs.jsonl", List.of(
                new Example.Preference("long prompt", "a", "b", new Source("prefs.jsonl", 1)),
                new Example.Preference("Q", "a", "b", new Source("prefs.jsonl", 2))));

        List<PreferencePair> kept = tokenizer(promptLength).tokenizeAll(List.of(data), "dpo",
                PreferenceTruncation.KEEP_START);
        List<PreferencePair> both = tokenizer(promptLength + 1).tokenizeAll(List.of(data), "dpo",
                PreferenceTruncation.KEEP_START);

        assertThat(kept).extracting(PreferencePair::source).containsExactly(new Source("prefs.jsonl", 2));
        assertThat(both).hasSize(2);
        assertThat(both.get(0).chosen().length()).isEqualTo(promptLength + 1);
        assertThat(both.get(0).chosen().targetCount()).isEqualTo(1);
    }

    /** TRL v1.9 RewardTrainer: pairs with a chosen or rejected sequence over max_length are filtered out. */
    @Test
    void dropRemovesPairsLongerThanMaxLengthAndKeepsTheRestWhole() {
        Dataset data = new Dataset("prefs.jsonl", List.of(
                new Example.Preference("Q", "a", "a much longer rejected one", new Source("prefs.jsonl", 1)),
                new Example.Preference("Q", "ab", "c", new Source("prefs.jsonl", 2))));
        int shortLength = tokenizer(64).tokenize(data.examples().get(1), "reward").chosen().length();

        List<PreferencePair> kept = tokenizer(shortLength).tokenizeAll(List.of(data), "reward",
                PreferenceTruncation.DROP);

        assertThat(kept).extracting(PreferencePair::source).containsExactly(new Source("prefs.jsonl", 2));
        assertThat(kept.get(0).chosen().length()).isEqualTo(shortLength);
    }

    @Test
    void everyRowDroppedIsAConfigError() {
        Dataset data = new Dataset("prefs.jsonl", List.of(
                new Example.Preference("a long prompt", "a", "b", new Source("prefs.jsonl", 1))));

        assertThatThrownBy(() -> tokenizer(3).tokenizeAll(List.of(data), "dpo", PreferenceTruncation.KEEP_START))
                .isInstanceOf(ConfigException.class)
                .hasMessage("dpo: all 1 rows are longer than max_length (3) and were dropped (prompt alone fills"
                        + " max_length 3, as TRL's keep_start); raise max_length");
    }
}
