package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Example.Message;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * messages rows: rendered with the chat template, assistant tokens found from {% generation %} blocks or by
 * rendering prefixes. The tokenizer is byte-level without merges, so every character is one token and the
 * expected targets can be written as text.
 */
class SftConversationTest {
    private static final Source SOURCE = new Source("train.jsonl", 4);
    private static final List<Message> CHAT = List.of(
            new Message("user", "hi"), new Message("assistant", "yo"),
            new Message("user", "ok?"), new Message("assistant", "ok"));
    /** ChatML with TRL-style generation blocks around the assistant's content and end marker. */
    private static final String TRAINING_CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' }}{% if message['role'] == 'assistant' %}"
            + "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
            + "{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

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

    private static SftConfig config(String template, boolean assistantOnly, boolean addEos) {
        return new SftConfig(template, true, assistantOnly, addEos, false, "bfd");
    }

    private TokenizedExample tokenize(HfTokenizer tokenizer, SftConfig config, List<Message> messages) {
        return new SftTokenizer(tokenizer, config, 256, dir::resolve).tokenize(new Example.Conversation(messages, SOURCE));
    }

    private String text(HfTokenizer tokenizer, TokenizedExample example) {
        return tokenizer.decode(example.ids(), false);
    }

    private String targetText(HfTokenizer tokenizer, TokenizedExample example) {
        long[] ids = example.ids();
        boolean[] targets = example.targets();
        return tokenizer.decode(LongStream.range(1, ids.length).filter(i -> targets[(int) i])
                .map(i -> ids[(int) i]).toArray(), false);
    }

    /** The same tokenizer with {@code template} as tokenizer_config.json's chat_template. */
    private HfTokenizer tokenizerWithTemplate(String template) throws Exception {
        Path config = dir.resolve("tokenizer_config.json");
        String json = Files.readString(config);
        String escaped = template.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        Files.writeString(config, json.replaceFirst("\\{", "{\"chat_template\": \"" + escaped.replace("\\", "\\\\")
                .replace("$", "\\$") + "\","));
        return HfTokenizer.load(dir);
    }

    @Test
    void generationBlocksOfTheTokenizersTemplateMarkTheTargets() throws Exception {
        try (HfTokenizer tokenizer = tokenizerWithTemplate(TRAINING_CHATML)) {
            TokenizedExample example = tokenize(tokenizer, config("auto", true, true), CHAT);

            assertThat(text(tokenizer, example)).isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
                    + "yo<|im_end|>\n<|im_start|>user\nok?<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n</s>");
            assertThat(targetText(tokenizer, example)).isEqualTo("yo<|im_end|>ok<|im_end|></s>");
        }
    }

    @Test
    void theDefaultOfAListOfNamedTemplatesIsUsed() throws Exception {
        Path config = dir.resolve("tokenizer_config.json");
        String list = "[{\"name\": \"tool_use\", \"template\": \"TOOLS\"}, {\"name\": \"default\", \"template\":"
                + " \"{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}\"}]";
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\"chat_template\": " + list + ","));
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            TokenizedExample example = tokenize(tokenizer, config("auto", true, false), CHAT.subList(0, 2));

            assertThat(text(tokenizer, example)).isEqualTo("[user]hi[assistant]yo");
            assertThat(targetText(tokenizer, example)).isEqualTo("[assistant]yo");
        }
    }

    @Test
    void idsAreTheRenderedTemplateTokenizedWithoutSpecialTokens() throws Exception {
        try (HfTokenizer tokenizer = tokenizerWithTemplate(TRAINING_CHATML)) {
            SftTokenizer sft = new SftTokenizer(tokenizer, config("auto", false, false), 256);
            String rendered = sft.chatTemplate().render(CHAT, false).text();

            TokenizedExample example = sft.tokenize(new Example.Conversation(CHAT, SOURCE));

            assertThat(example.ids()).containsExactly(tokenizer.encode(rendered, false));
            assertThat(example.targetCount()).isEqualTo(example.length() - 1);
        }
    }

    @Test
    void llama2TurnsAreFoundByRenderingPrefixes() {
        List<Message> chat = List.of(new Message("system", "be brief"), new Message("user", "hi"),
                new Message("assistant", "yo "), new Message("user", "ok?"), new Message("assistant", "ok"));

        TokenizedExample example = tokenize(lm.tokenizer, config("llama-2", true, true), chat);

        // the template ends each assistant turn with eos_token itself, so no EOS is appended
        assertThat(text(lm.tokenizer, example)).isEqualTo(
                "<s>[INST] <<SYS>>\nbe brief\n<</SYS>>\n\nhi [/INST] yo </s><s>[INST] ok? [/INST] ok </s>");
        assertThat(targetText(lm.tokenizer, example)).isEqualTo(" yo </s> ok </s>");
    }

    @Test
    void anAssistantOpeningTheConversationTrainsWithoutItsHeader() {
        TokenizedExample example = tokenize(lm.tokenizer, config("chatml", true, false),
                List.of(new Message("assistant", "hello"), new Message("user", "hi"), new Message("assistant", "yo")));

        assertThat(targetText(lm.tokenizer, example)).isEqualTo("hello<|im_end|>yo<|im_end|>");
    }

    @Test
    void zephyrTargetsStopBeforeTheNewlineAfterEachTurn() {
        TokenizedExample example = tokenize(lm.tokenizer, config("zephyr", true, true), CHAT.subList(0, 2));

        assertThat(text(lm.tokenizer, example)).isEqualTo("<|user|>\nhi</s>\n<|assistant|>\nyo</s>\n");
        assertThat(targetText(lm.tokenizer, example)).isEqualTo("yo</s>");
    }

    @Test
    void withoutAssistantOnlyLossEveryTokenIsATarget() {
        TokenizedExample example = tokenize(lm.tokenizer, config("chatml", false, false), CHAT);

        assertThat(example.targetCount()).isEqualTo(example.length() - 1);
        assertThat(text(lm.tokenizer, example)).endsWith("<|im_start|>assistant\nok<|im_end|>\n");
    }

    @Test
    void aTemplateFromAFileIsUsed() throws Exception {
        Files.writeString(dir.resolve("plain.jinja"), "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}");

        TokenizedExample example = tokenize(lm.tokenizer, config("plain.jinja", true, true), CHAT.subList(0, 2));

        assertThat(text(lm.tokenizer, example)).isEqualTo("user: hi\nassistant: yo\n</s>");
        assertThat(targetText(lm.tokenizer, example)).isEqualTo("assistant: yo</s>");
    }

    @Test
    void aTemplateThatRaisesNamesTheRow() {
        List<Message> twoUsers = List.of(new Message("user", "a"), new Message("user", "b"));

        assertThatThrownBy(() -> tokenize(lm.tokenizer, config("llama-2", true, true), twoUsers))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: chat template built-in llama-2, near template line 1: raise_exception:"
                        + " Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void aTemplateThatFailsToRenderNamesTheRowAndTemplateLine() throws Exception {
        Files.writeString(dir.resolve("broken.jinja"), "{% for m in messages %}\n{{ no_such_function(m) }}\n{% endfor %}");

        assertThatThrownBy(() -> tokenize(lm.tokenizer, config("broken.jinja", true, true), CHAT))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("train.jsonl:4: chat template " + dir.resolve("broken.jinja") + ", near template line 1: ");
    }

    @Test
    void aTemplateWithAnUnknownFilterIsRejectedBeforeAnyRow() throws Exception {
        Files.writeString(dir.resolve("filter.jinja"), "{% for m in messages %}\n{{ '<|x|>' + m['content'] | no_such_filter }}\n{% endfor %}");

        assertThatThrownBy(() -> new SftTokenizer(lm.tokenizer, config("filter.jinja", true, true), 64, dir::resolve))
                .isInstanceOf(ConfigException.class)
                .hasMessage("chat template " + dir.resolve("filter.jinja") + ", template line 2: no filter named 'no_such_filter'");
    }

    @Test
    void rejectsATemplateWhosePrefixesDoNotRenderAlike() throws Exception {
        Files.writeString(dir.resolve("count.jinja"), "{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}");

        assertThatThrownBy(() -> tokenize(lm.tokenizer, config("count.jinja", true, true), CHAT))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("train.jsonl:4: assistant_only_loss: the chat template (" + dir.resolve("count.jinja")
                        + ") renders earlier turns differently once message 2 is added");
    }

    @Test
    void rejectsAConversationWithoutAssistantTurn() {
        assertThatThrownBy(() -> tokenize(lm.tokenizer, config("chatml", true, true), CHAT.subList(0, 1)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: the example has no target token");
    }

    @Test
    void rejectsAnEmptyCompletionEvenWithEos() {
        assertThatThrownBy(() -> new SftTokenizer(lm.tokenizer, config("auto", true, true), 64)
                .tokenize(new Example.PromptCompletion("prompt", "", SOURCE)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:4: the example has no target token");
    }

    @Test
    void rejectsAnUnknownTemplateSetting() {
        assertThatThrownBy(() -> new SftTokenizer(lm.tokenizer, config("llama-9", true, true), 64, dir::resolve))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("chat_template: 'llama-9' is not auto, a built-in template"
                        + " [chatml, llama-2, llama-3, zephyr] or an existing Jinja file");
    }
}
