package io.finetune4j.runtime.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.chat.ChatTemplate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One row of any file format (a JSONL line, a JSON array element, a CSV or Parquet row, as a JSON object)
 * as the first {@link Example} kind whose fields it has:
 *
 * <ol>
 *   <li>{@code chosen}+{@code rejected} (optional {@code prompt}) → {@link Example.Preference}; as message lists
 *       (TRL's conversational format, implicit or explicit prompt) rendered by {@link ConversationalPreferenceRows};
 *   <li>{@code messages} with {@code tools} or {@code tool_calls} (tool calling) → {@link Example.PromptCompletion}
 *       rendered by {@link ToolCallRows}; other {@code messages} → {@link Example.Conversation} (roles
 *       system/user/assistant/tool);
 *   <li>{@code conversations: [{from, value}]} (ShareGPT: from human/gpt/system/tool) → {@link Example.Conversation};
 *   <li>{@code instruction}+{@code output} (optional {@code input}; Alpaca) → {@link Example.PromptCompletion} with
 *       Alpaca-LoRA's prompt template ({@code tloen/alpaca-lora templates/alpaca.json});
 *   <li>{@code prompt}+{@code completion}+boolean {@code label} (unpaired preference, TRL's KTO format; see
 *       {@link UnpairedPreferenceRows}) and {@code prompt}+{@code completion} → {@link Example.PromptCompletion};
 *   <li>{@code text} → {@link Example.Text}; {@code prompt}+{@code label} → {@link Example.Labelled};
 *       {@code prompt} → {@link Example.PromptOnly}.
 * </ol>
 *
 * Every error starts with {@code where} (file and line, or file and row) and names the field.
 */
public final class RowFormats {
    /** Roles a chat message may have (the OpenAI / Hugging Face chat format). */
    public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    /** ShareGPT's speakers and the chat roles they mean (FastChat's {@code roles = {"human": USER, "gpt": ASSISTANT}}). */
    static final Map<String, String> SHAREGPT_ROLES = Map.of("human", "user", "user", "user", "gpt", "assistant",
            "assistant", "assistant", "system", "system", "tool", "tool", "function_call", "assistant",
            "observation", "tool");

    static final String CONVENTIONS = "{\"text\"}, {\"prompt\", \"completion\"}, {\"messages\"}, "
            + "{\"prompt\", \"chosen\", \"rejected\"}, {\"prompt\", \"label\"}, {\"prompt\"}, "
            + "{\"instruction\", \"output\"} (Alpaca), {\"conversations\"} (ShareGPT)";

    private static final String ALPACA_WITH_INPUT = "Below is an instruction that describes a task, paired with an input "
            + "that provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:\n";
    private static final String ALPACA = "Below is an instruction that describes a task. Write a response that "
            + "appropriately completes the request.\n\n### Instruction:\n%s\n\n### Response:\n";

    private RowFormats() {}

    /** The example of {@code row}; {@code where} prefixes every error, e.g. {@code train.parquet row 3}. */
    public static Example example(JsonNode row, Source source, String where) {
        return example(row, source, where, "row", RowFormats::noTemplate);
    }

    /**
     * Like {@link #example(JsonNode, Source, String)}; {@code unit} ("line", "row") is how messages call the row,
     * {@code templates} gives the chat template conversational preference rows render with (asked for only then).
     */
    static Example example(JsonNode row, Source source, String where, String unit, Supplier<ChatTemplate> templates) {
        if (row == null || !row.isObject()) {
            throw new ConfigException(where + ": expected a JSON object, found " + kind(row));
        }
        if (row.has("chosen") != row.has("rejected")) {
            throw new ConfigException(String.format("%s: a preference row needs both \"chosen\" and "
                    + "\"rejected\"; this %s has only \"%s\"", where, unit, row.has("chosen") ? "chosen" : "rejected"));
        }
        if (row.has("chosen") && ConversationalPreferenceRows.isConversational(row)) {
            return ConversationalPreferenceRows.preference(row, source, where, templates);
        }
        if (row.has("chosen")) {
            String prompt = present(row, "prompt") ? string(row, "prompt", where) : "";
            return new Example.Preference(prompt, string(row, "chosen", where), string(row, "rejected", where), source);
        }
        if (ToolCallRows.isToolCall(row)) {
            return ToolCallRows.example(row, source, where, templates);
        }
        if (row.has("messages")) {
            return new Example.Conversation(messages(row.get("messages"), "messages", where), source);
        }
        if (row.has("conversations")) {
            return new Example.Conversation(shareGpt(row.get("conversations"), where), source);
        }
        if (row.has("instruction") && row.has("output")) {
            String instruction = string(row, "instruction", where);
            String input = present(row, "input") ? string(row, "input", where) : "";
            String prompt = input.isEmpty() ? String.format(ALPACA, instruction) : String.format(ALPACA_WITH_INPUT, instruction, input);
            return new Example.PromptCompletion(prompt, string(row, "output", where), source);
        }
        if (row.has("prompt") && row.has("completion")) {
            if (UnpairedPreferenceRows.isUnpaired(row)) {
                UnpairedPreferenceRows.label(row, where);
            }
            return new Example.PromptCompletion(string(row, "prompt", where), string(row, "completion", where), source);
        }
        if (row.has("text")) {
            return new Example.Text(string(row, "text", where), source);
        }
        if (row.has("prompt") && row.has("label")) {
            return new Example.Labelled(string(row, "prompt", where), label(row, where), source);
        }
        if (row.has("prompt")) {
            return new Example.PromptOnly(string(row, "prompt", where), source);
        }
        throw new ConfigException(String.format(Locale.ROOT,
                "%s: no recognised keys in %s; a %s needs one of %s", where, fieldNames(row), unit, CONVENTIONS));
    }

    private static boolean present(JsonNode row, String key) {
        return row.has(key) && !row.get(key).isNull();
    }

    static ChatTemplate noTemplate() {
        throw new ConfigException("conversational preference and tool-calling rows are rendered with the tokenizer's "
                + "chat template, and none was given to this reader");
    }

    /** A message list ({@code [{role, content}]}) in {@code field}; errors name {@code field[i]}. */
    static List<Example.Message> messages(JsonNode array, String field, String where) {
        if (!array.isArray()) {
            throw new ConfigException(where + ": \"" + field + "\" must be an array, was " + kind(array));
        }
        if (array.isEmpty()) {
            throw new ConfigException(where + ": \"" + field + "\" is empty");
        }
        List<Example.Message> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            String at = field + "[" + i + "]";
            if (!message.isObject()) {
                throw new ConfigException(where + ": " + at + " must be an object, was " + kind(message));
            }
            for (String key : List.of("role", "content")) {
                if (!message.has(key)) {
                    throw new ConfigException(String.format(Locale.ROOT, "%s: %s has no \"%s\"", where, at, key));
                }
            }
            String role = string(message, "role", where, at + ".");
            if (!ROLES.contains(role)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: %s.role must be one of %s, was \"%s\"", where, at, ROLES, role));
            }
            messages.add(new Example.Message(role, string(message, "content", where, at + ".")));
        }
        return messages;
    }

    private static List<Example.Message> shareGpt(JsonNode array, String where) {
        if (!array.isArray() || array.isEmpty()) {
            throw new ConfigException(where + ": \"conversations\" must be a non-empty array of {from, value}, was "
                    + (array.isArray() ? "empty" : kind(array)));
        }
        List<Example.Message> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode turn = array.get(i);
            String at = "conversations[" + i + "]";
            if (!turn.isObject() || !turn.has("from") || !turn.has("value")) {
                throw new ConfigException(where + ": " + at + " must be an object with \"from\" and \"value\"");
            }
            String from = string(turn, "from", where, at + ".");
            String role = SHAREGPT_ROLES.get(from);
            if (role == null) {
                throw new ConfigException(String.format(Locale.ROOT, "%s: %s.from must be one of %s, was \"%s\"",
                        where, at, new java.util.TreeSet<>(SHAREGPT_ROLES.keySet()), from));
            }
            messages.add(new Example.Message(role, string(turn, "value", where, at + ".")));
        }
        return messages;
    }

    static String string(JsonNode node, String key, String where) {
        return string(node, key, where, "");
    }

    private static String string(JsonNode node, String key, String where, String prefix) {
        JsonNode value = node.get(key);
        if (value == null || !value.isTextual()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"%s%s\" must be a string, was %s", where, prefix, key, kind(value)));
        }
        return value.textValue();
    }

    private static String label(JsonNode node, String where) {
        JsonNode value = node.get("label");
        if (!(value.isTextual() || value.isNumber() || value.isBoolean())) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"label\" must be a string, number or boolean, was %s", where, kind(value)));
        }
        return value.asText();
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** JSON's name for the node's type: string, number, boolean, null, array, object. */
    static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
