package io.finetune4j.runtime.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real templates rendered against strings derived by hand from Jinja's semantics (trim_blocks, lstrip_blocks). */
class ChatTemplateTest {
    private static final Map<String, String> LLAMA_TOKENS = Map.of("bos_token", "<s>", "eos_token", "</s>");
    private static final List<Message> CHAT = List.of(
            new Message("system", "You are terse."),
            new Message("user", " Hi there "),
            new Message("assistant", "Hello!  "),
            new Message("user", "Bye"));

    @TempDir
    Path dir;

    private static String render(String template, Map<String, String> tokens, List<Message> messages, boolean prompt) {
        return ChatTemplate.of(template, "test", tokens).render(messages, prompt).text();
    }

    @Test
    void rendersChatMlWithGenerationPrompt() {
        assertThat(render(BuiltInChatTemplates.CHATML, Map.of(), CHAT, true)).isEqualTo(
                "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there <|im_end|>\n"
                        + "<|im_start|>assistant\nHello!  <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(render(BuiltInChatTemplates.CHATML, Map.of(), CHAT.subList(1, 3), false))
                .isEqualTo("<|im_start|>user\n Hi there <|im_end|>\n<|im_start|>assistant\nHello!  <|im_end|>\n");
    }

    @Test
    void rendersLlama2WithPythonStrip() {
        // content.strip() removes the outer whitespace of each turn; the system prompt joins the first user turn
        assertThat(render(BuiltInChatTemplates.LLAMA_2, LLAMA_TOKENS, CHAT, false)).isEqualTo(
                "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n Hi there [/INST] Hello! </s><s>[INST] Bye [/INST]");
    }

    @Test
    void llama2RaisesOnRolesThatDoNotAlternate() {
        List<Message> twice = List.of(new Message("user", "a"), new Message("user", "b"));

        assertThatThrownBy(() -> ChatTemplate.of(BuiltInChatTemplates.LLAMA_2, "built-in llama-2", LLAMA_TOKENS)
                .render(twice, false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("chat template built-in llama-2, near template line 1: raise_exception:"
                        + " Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void rendersLlama3WithTrimFilter() {
        Map<String, String> tokens = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>");

        assertThat(render(BuiltInChatTemplates.LLAMA_3, tokens, CHAT, true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void rendersZephyrWhoseNewlinesFollowExpressions() {
        // trim_blocks drops the newline after each block tag; the newline after each {{ ... }} stays
        assertThat(render(BuiltInChatTemplates.ZEPHYR, LLAMA_TOKENS, CHAT.subList(0, 2), true))
                .isEqualTo("<|system|>\nYou are terse.</s>\n<|user|>\n Hi there </s>\n<|assistant|>\n");
    }

    @Test
    void rendersANamespaceTemplateWithIndentedBlocks() {
        String template = "{%- set ns = namespace(system='', turns=0) -%}\n"
                + "{%- for message in messages -%}\n"
                + "    {%- if message['role'] == 'system' -%}\n"
                + "        {%- set ns.system = message['content'] -%}\n"
                + "    {%- else -%}\n"
                + "        {%- set ns.turns = ns.turns + 1 -%}\n"
                + "    {%- endif -%}\n"
                + "{%- endfor -%}\n"
                + "[{{ ns.turns }} turns, system: {{ ns.system }}]\n"
                + "{% for message in messages %}\n"
                + "    {% if message['role'] != 'system' %}\n"
                + "{{ message['role'].title() }}: {{ message['content'].strip() }}\n"
                + "    {% endif %}\n"
                + "{% endfor %}\n"
                + "{% if add_generation_prompt %}Assistant:{% endif %}";

        assertThat(render(template, Map.of(), CHAT, true)).isEqualTo(
                "[3 turns, system: You are terse.]\nUser: Hi there\nAssistant: Hello!\nUser: Bye\nAssistant:");
    }

    @Test
    void generationBlocksGiveTheSpansOfAssistantText() {
        String template = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}"
                + "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}"
                + "{% endgeneration %}{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}";
        List<Message> chat = List.of(new Message("user", "q1"), new Message("assistant", "a1"),
                new Message("user", "q2"), new Message("assistant", "a2"));

        ChatTemplate chatTemplate = ChatTemplate.of(template, "test", Map.of());
        RenderedChat rendered = chatTemplate.render(chat, false);

        assertThat(chatTemplate.hasGenerationBlocks()).isTrue();
        assertThat(rendered.text()).isEqualTo("<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n"
                + "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\na2<|im_end|>\n");
        assertThat(rendered.generationSpans()).extracting(span -> rendered.text().substring(span.start(), span.end()))
                .containsExactly("a1<|im_end|>", "a2<|im_end|>");
        assertThat(ChatTemplate.of(BuiltInChatTemplates.CHATML, "test", Map.of()).hasGenerationBlocks()).isFalse();
    }

    @Test
    void generationBlockFollowsWhitespaceControl() {
        String template = "A\n  {%- generation -%}  {{ messages[0]['content'] }}  {%- endgeneration %}\nB";

        RenderedChat rendered = ChatTemplate.of(template, "test", Map.of()).render(CHAT.subList(2, 3), false);

        // the message's own trailing spaces stay; the template's whitespace around the tags goes
        assertThat(rendered.text()).isEqualTo("AHello!  B");
        assertThat(rendered.generationSpans()).containsExactly(new RenderedChat.Span(1, 9));
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() {
        String template = "{{ 'xxhixx'.strip('x') }}|{{ '  a  '.lstrip() }}.|{{ '  a  '.rstrip() }}.|"
                + "{{ ' x  y '.split() | join(',') }}|{{ 'a,,b'.split(',') | length }}|{{ 'a.b.c'.split('.', 1)[1] }}|"
                + "{{ 'hello wORLD 1st'.title() }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|"
                + "{% if 'abc'.startswith('ab') and 'abc'.endswith(['x', 'bc']) %}yes{% endif %}|"
                + "{{ 'aaa'.replace('a', 'b', 2) }}|{{ '-'.join(['p', 'q']) }}|{{ messages[0].get('name', 'none') }}";

        assertThat(render(template, Map.of(), CHAT, false))
                .isEqualTo("hi|a  .|  a.|x,y|3|b.c|Hello World 1St|ABab|yes|bba|p-q|none");
    }

    @Test
    void tojsonIsPythonJsonDumps() {
        String template = "{{ messages[0] | tojson }}|{{ {'a': [1, 2], 'b': 'x\"y'} | tojson(indent=2) }}";

        assertThat(render(template, Map.of(), CHAT, false)).isEqualTo(
                "{\"role\": \"system\", \"content\": \"You are terse.\"}|{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\\\"y\"\n}");
    }

    @Test
    void strftimeNowUsesPythonDirectives() {
        ZonedDateTime time = ZonedDateTime.parse("2024-07-05T14:03:09Z");

        assertThat(TemplateFunctions.strftime(time, "%d %b %Y, %A %H:%M:%S %I%p %%"))
                .isEqualTo("05 Jul 2024, Friday 14:03:09 02PM %");
        String year = String.valueOf(ZonedDateTime.now().getYear());
        assertThat(render("{{ strftime_now('%Y') }}", Map.of(), CHAT, false)).isIn(year, String.valueOf(Integer.parseInt(year) + 1));
    }

    @Test
    void failsOnAnUnknownFunctionInsteadOfRenderingNothing() {
        assertThatThrownBy(() -> ChatTemplate.of("ok\n{{ no_such_function(1) }}", "my.jinja", Map.of()).render(CHAT, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("chat template my.jinja, near template line 2: ");
    }

    @Test
    void rejectsAnUnknownFilterButNotPipesInsideStrings() {
        String template = "{{ '<|im_start|>' | trim }}\n{{ \"a|b\" }}{{ messages | first | tojson }}\n{{ x | nope }}";

        assertThatThrownBy(() -> ChatTemplate.of(template, "t.jinja", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("chat template t.jinja, template line 3: no filter named 'nope'");
    }

    @Test
    void rejectsAStrayEndTagThatJinjavaOnlyWarnsAbout() {
        assertThatThrownBy(() -> ChatTemplate.of("a{% endif %}", "t.jinja", Map.of()).render(CHAT, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("chat template t.jinja, near template line 1: ");
    }

    @Test
    void jinjaSyntaxInsideAMessageIsRenderedAsWritten() {
        List<Message> code = List.of(new Message("user", "{{ 7*7 }} {% if true %}y{% endif %} {# c #}"));

        assertThat(render(BuiltInChatTemplates.CHATML, Map.of(), code, false))
                .isEqualTo("<|im_start|>user\n{{ 7*7 }} {% if true %}y{% endif %} {# c #}<|im_end|>\n");
    }

    @Test
    void rejectsMessagesHoldingTheGenerationMarkers() {
        ChatTemplate tracked = ChatTemplate.of("{% generation %}{{ messages[0]['content'] }}{% endgeneration %}", "t", Map.of());

        assertThatThrownBy(() -> tracked.render(List.of(new Message("assistant", "a\uFDD0b")), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("U+FDD0 or U+FDD1");
        assertThat(render(BuiltInChatTemplates.CHATML, Map.of(), List.of(new Message("user", "a\uFDD0b")), false))
                .isEqualTo("<|im_start|>user\na\uFDD0b<|im_end|>\n");
    }

    @Test
    void loopFiltersFilterBeforeTheLoopCountsAsInPython() {
        // Python's Jinja: the filter runs first, so loop.last and loop.index see only the kept items.
        String filtered = "x\n{% for m in messages if m['role'] == 'user' %}{{ loop.index }}{{ m['content'] }}"
                + "{% if not loop.last %},{% endif %}{% endfor %}";
        String unpacked = "{% for key, val in {'a': 1, 'return': 2, 'b': 3}.items() if key != 'return' %}{{ key }}={{ val }}"
                + "{% if not loop.last %};{% endif %}{% endfor %}";
        String inlineIf = "{% for m in (messages if add_generation_prompt else messages[1:]) %}{{ m['role'] }};{% endfor %}";

        assertThat(render(filtered, Map.of(), CHAT, false)).isEqualTo("x\n1 Hi there ,2Bye");
        assertThat(render(unpacked, Map.of(), CHAT, false)).isEqualTo("a=1;b=3");
        assertThat(render(inlineIf, Map.of(), CHAT, false)).isEqualTo("user;assistant;user;");
    }

    @Test
    void resolvesBuiltInsAndFiles() throws Exception {
        Path file = dir.resolve("t.jinja");
        Files.writeString(file, "{% for m in messages %}{{ m['content'] }};{% endfor %}");
        io.finetune4j.api.model.TextTokenizer none = new NoTemplateTokenizer();

        assertThat(ChatTemplate.resolve("llama-3", "chat_template", none, Path::of).source())
                .isEqualTo(BuiltInChatTemplates.LLAMA_3);
        assertThat(ChatTemplate.resolve("auto", "chat_template", none, Path::of).source())
                .isEqualTo(BuiltInChatTemplates.CHATML);
        ChatTemplate fromFile = ChatTemplate.resolve("t.jinja", "chat_template", none, dir::resolve);
        assertThat(fromFile.render(CHAT.subList(1, 3), false).text()).isEqualTo(" Hi there ;Hello!  ;");
        assertThatThrownBy(() -> ChatTemplate.resolve("nope.jinja", "chat_template", none, dir::resolve))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("chat_template: 'nope.jinja' is not auto, a built-in template"
                        + " [chatml, llama-2, llama-3, zephyr] or an existing Jinja file");
    }

    /** A tokenizer without a chat template; only special-token lookups are used. */
    private static final class NoTemplateTokenizer implements io.finetune4j.api.model.TextTokenizer {
        @Override public long[] encode(String text, boolean addSpecialTokens) { return new long[0]; }
        @Override public String decode(long[] ids, boolean skipSpecialTokens) { return ids[0] == 1 ? "<s>" : "</s>"; }
        @Override public int vocabSize() { return 3; }
        @Override public java.util.OptionalLong bosTokenId() { return java.util.OptionalLong.of(1); }
        @Override public long[] eosTokenIds() { return new long[] {2}; }
        @Override public long padTokenId() { return 2; }
    }
}
