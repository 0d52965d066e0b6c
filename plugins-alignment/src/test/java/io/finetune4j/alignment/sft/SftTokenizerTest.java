package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.data.TokenizedExample;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftTokenizerTest {
    private static final Source SOURCE = new Source("train.jsonl", 4);

    @TempDir
    Path dir;
    private TinyLm lm;

    @BeforeEach
    void setUp() {
        lm = new TinyLm(dir, 1);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private TokenizedExample tokenize(SftConfig config, int maxLength, Example example) {
        return new SftTokenizer(lm.tokenizer, config, maxLength).tokenize(example);
    }

    /** The tokens flagged as targets, decoded with special tokens shown. */
    private String targetText(TokenizedExample example) {
        long[] ids = example.ids();
        boolean[] targets = example.targets();
        long[] kept = LongStream.range(1, ids.length).filter(i -> targets[(int) i]).map(i -> ids[(int) i]).toArray();
        return lm.tokenizer.decode(kept, false);
    }

    private long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    @Test
    void textIsAllTargetsWithBosAndEos() {
        TokenizedExample example = tokenize(new SftConfig(true, true), 64, new Example.Text("hi there", SOURCE));

        assertThat(example.ids()).containsExactly(concat(lm.tokenizer.encode("hi there", true), new long[] {lm.id("</s>")}));
        assertThat(example.ids()[0]).isEqualTo(lm.id("<s>"));
        assertThat(targetText(example)).isEqualTo("hi there</s>");
    }

    @Test
    void promptCompletionTargetsOnlyTheCompletionAndEos() {
        TokenizedExample example = tokenize(new SftConfig(true, true), 64,
                new Example.PromptCompletion("2+2=", "4", SOURCE));

        assertThat(example.ids()).containsExactly(concat(lm.tokenizer.encode("2+2=", true),
                lm.tokenizer.encode("4", false), new long[] {lm.id("</s>")}));
        assertThat(targetText(example)).isEqualTo("4</s>");
    }

    @Test
    void promptCompletionTargetsEverythingWithoutCompletionOnlyLoss() {
        TokenizedExample example = tokenize(new SftConfig(false, false), 64,
                new Example.PromptCompletion("2+2=", "4", SOURCE));

        assertThat(targetText(example)).isEqualTo("2+2=4");
        assertThat(example.targetCount()).isEqualTo(example.length() - 1);
    }

    @Test
    void conversationIsChatMlWithAssistantTargets() {
        Example conversation = new Example.Conversation(List.of(
                new Example.Message("system", "be brief"),
                new Example.Message("user", "hi"),
                new Example.Message("assistant", "yo"),
                new Example.Message("user", "ok?"),
                new Example.Message("assistant", "ok")), SOURCE);

        TokenizedExample example = tokenize(new SftConfig(true, true), 256, conversation);

        // The tokenizer has no chat_template: the built-in ChatML, tokenized without special tokens as
        // apply_chat_template does (ChatML writes no BOS); add_eos ends the assistant's last turn with EOS.
        assertThat(lm.tokenizer.decode(example.ids(), false)).isEqualTo("<|im_start|>system\nbe brief<|im_end|>\n"
                + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
                + "<|im_start|>user\nok?<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n</s>");
        assertThat(targetText(example)).isEqualTo("yo<|im_end|>ok<|im_end|></s>");
    }

    @Test
    void rejectsOtherRowKindsNamingFileAndLine() {
        assertThatThrownBy(() -> tokenize(new SftConfig(true, true), 64, new Example.Preference("p", "c", "r", SOURCE)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: sft trains on text, prompt/completion or messages rows, found a Preference row");
    }

    @Test
    void truncationKeepsTheFirstTokens() {
        TokenizedExample example = tokenize(new SftConfig(true, true), 5, new Example.Text("abcdefgh", SOURCE));

        assertThat(example.ids()).containsExactly(Arrays.copyOf(lm.tokenizer.encode("abcdefgh", true), 5));
    }

    @Test
    void rejectsAnExampleWhoseTargetsAreAllTruncated() {
        assertThatThrownBy(() -> tokenize(new SftConfig(true, true), 4,
                new Example.PromptCompletion("a long prompt", "x", SOURCE)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: no target token left after truncation to max_length 4 (the example has"
                        + " 16 tokens, the first target at position 14); shorten the prompt or raise max_length");
    }

    @Test
    void rejectsAnExampleWithoutTargets() {
        assertThatThrownBy(() -> tokenize(new SftConfig(true, false), 64,
                new Example.PromptCompletion("prompt", "", SOURCE)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: the example has no target token");
    }
}
