package io.finetune4j.runtime.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real chat templates of Qwen2.5, Llama-3.2, Mistral-7B-Instruct-v0.3, Phi-3, Gemma-2 and SmolLM2
 * ({@code src/test/resources/chat-templates}, origins in its README) render exactly as Python's Jinja2 renders
 * them in transformers' environment: tools, tool calls and tool results, {@code add_generation_prompt},
 * {@code date_string}, {@code raise_exception}, {@code loop.last}/{@code loop.first}, {@code namespace},
 * loop filters, {@code selectattr}, slicing, {@code tojson(indent=4)}, {@code trim}, {@code is iterable}.
 */
class RealChatTemplatesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One case of cases.json: the template, its render() arguments, and Python's output or exception message. */
    record Case(String name, String template, Map<String, Object> vars, String expected, String raises) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() throws IOException {
        try (InputStream in = resource("cases.json")) {
            return JSON.readValue(in, new TypeReference<List<Case>>() {}).stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersAsPythonJinja(Case test) throws IOException {
        Map<String, Object> variables = new LinkedHashMap<>(test.vars());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) variables.remove("messages");
        boolean generationPrompt = (Boolean) variables.remove("add_generation_prompt");
        Map<String, String> specialTokens = new LinkedHashMap<>();
        for (String token : List.of("bos_token", "eos_token")) {
            Object text = variables.remove(token);
            if (text != null) {
                specialTokens.put(token, (String) text);
            }
        }
        String source;
        try (InputStream in = resource(test.template())) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ChatTemplate template = ChatTemplate.of(source, test.template(), specialTokens);

        if (test.raises() != null) {
            assertThatThrownBy(() -> template.render(messages, variables, generationPrompt))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageEndingWith("raise_exception: " + test.raises());
        } else {
            assertThat(template.render(messages, variables, generationPrompt).text()).isEqualTo(test.expected());
        }
    }

    private static InputStream resource(String name) {
        InputStream in = RealChatTemplatesTest.class.getResourceAsStream("/chat-templates/" + name);
        if (in == null) {
            throw new IllegalStateException("test resource chat-templates/" + name + " is missing");
        }
        return in;
    }
}
