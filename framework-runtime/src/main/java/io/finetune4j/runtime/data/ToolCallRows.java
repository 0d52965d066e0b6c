package io.finetune4j.runtime.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.chat.ChatTemplate;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Tool-calling conversations, TRL's tool format: {@code messages} whose assistant turns may carry
 * {@code tool_calls} ({@code [{type, function: {name, arguments}}]}), {@code tool} turns with the results, and
 * the row's {@code tools} (JSON schemas). Rendered with the stage tokenizer's chat template, tools passed as
 * {@code apply_chat_template(messages, tools=tools)} passes them, into a prompt/completion pair: the prompt is
 * every message before the last with the generation prompt, the completion the last assistant turn (its text or
 * its tool calls), which is what trains.
 */
final class ToolCallRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolCallRows() {}

    /** A messages row with {@code tools}, or with a message that has {@code tool_calls}. */
    static boolean isToolCall(JsonNode row) {
        if (!row.path("messages").isArray()) {
            return false;
        }
        if (row.hasNonNull("tools")) {
            return true;
        }
        for (JsonNode message : row.get("messages")) {
            if (message.hasNonNull("tool_calls")) {
                return true;
            }
        }
        return false;
    }

    static Example.PromptCompletion example(JsonNode row, Source source, String where, Supplier<ChatTemplate> templates) {
        JsonNode messagesNode = row.get("messages");
        for (int i = 0; i < messagesNode.size(); i++) {
            JsonNode message = messagesNode.get(i);
            String at = "messages[" + i + "]";
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw new ConfigException(where + ": " + at + " must be an object with a string \"role\"");
            }
            String role = message.get("role").textValue();
            if (!RowFormats.ROLES.contains(role)) {
                throw new ConfigException(String.format("%s: %s.role must be one of %s, was \"%s\"", where, at, RowFormats.ROLES, role));
            }
            if (message.hasNonNull("tool_calls") && !message.get("tool_calls").isArray()) {
                throw new ConfigException(where + ": " + at + ".tool_calls must be an array, was "
                        + RowFormats.kind(message.get("tool_calls")));
            }
            if (!message.hasNonNull("tool_calls") && !message.path("content").isTextual()) {
                throw new ConfigException(where + ": \"" + at + ".content\" must be a string, was " + RowFormats.kind(message.get("content")));
            }
        }
        if (row.hasNonNull("tools") && !row.get("tools").isArray()) {
            throw new ConfigException(where + ": \"tools\" must be an array of function schemas, was " + RowFormats.kind(row.get("tools")));
        }
        List<Map<String, Object>> messages = JSON.convertValue(messagesNode, new TypeReference<>() {});
        if (messages.isEmpty() || !"assistant".equals(messages.get(messages.size() - 1).get("role"))) {
            throw new ConfigException(where + ": a tool-calling conversation must end with an assistant message (the turn "
                    + "that trains)");
        }
        Map<String, Object> variables = row.hasNonNull("tools")
                ? Map.of("tools", JSON.convertValue(row.get("tools"), new TypeReference<List<Object>>() {})) : Map.of();
        ChatTemplate template = templates.get();
        String prompt = render(template, messages.subList(0, messages.size() - 1), variables, true, where);
        String whole = render(template, messages, variables, false, where);
        if (!whole.startsWith(prompt)) {
            throw new ConfigException(where + ": the chat template " + template.origin() + " renders the conversation with a "
                    + "different beginning than its messages before the last, so the last turn cannot be cut out");
        }
        return new Example.PromptCompletion(prompt, whole.substring(prompt.length()), source);
    }

    private static String render(ChatTemplate template, List<Map<String, Object>> messages, Map<String, Object> variables,
                                 boolean generationPrompt, String where) {
        try {
            return template.render(messages, variables, generationPrompt).text();
        } catch (ConfigException e) {
            throw new ConfigException(where + ": " + e.getMessage(), e);
        }
    }
}
