package io.finetune4j.runtime.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a JSON Lines file (one JSON object per line, UTF-8) into a {@link Dataset} named after the file.
 * Each line becomes the first {@link Example} kind whose keys it has, in the order {@link Example}
 * documents: {@code chosen}+{@code rejected} (with an optional {@code prompt}, empty when absent),
 * {@code messages}, {@code prompt}+{@code completion}, {@code text}, {@code prompt}+{@code label},
 * {@code prompt}. Other keys are ignored; blank lines are skipped. A {@code label} may be a string, a number
 * or a boolean (read as its text); every other field must be a string.
 *
 * <p>Every problem is a {@link ConfigException} naming the file and 1-based line, e.g.
 * {@code train.jsonl:17: "completion" must be a string, was number}.
 */
public final class JsonlDatasetReader {
    /** Roles a chat message may have (the OpenAI / Hugging Face chat format). */
    public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    static final String CONVENTIONS = "{\"text\"}, {\"prompt\", \"completion\"}, {\"messages\"}, "
            + "{\"prompt\", \"chosen\", \"rejected\"}, {\"prompt\", \"label\"}, {\"prompt\"}";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonlDatasetReader() {}

    /** Reads every line of {@code file}; throws {@link ConfigException} on the first bad line. */
    public static Dataset read(Path file) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        List<Example> examples = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (number == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a UTF-8 byte order mark some editors write
                }
                if (!line.isBlank()) {
                    examples.add(parseLine(line, new Source(name, number)));
                }
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(name + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new ConfigException(name + ": contains no examples");
        }
        return new Dataset(name, examples);
    }

    /** One non-blank line as an example; {@code source} names it in errors. */
    static Example parseLine(String line, Source source) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": invalid JSON" + column(e) + ": " + brief(e), e);
        }
        if (node == null || !node.isObject()) {
            throw new ConfigException(source + ": expected a JSON object, found " + kind(node));
        }
        if (node.has("chosen") != node.has("rejected")) {
            throw new ConfigException(String.format("%s: a preference row needs both \"chosen\" and "
                    + "\"rejected\"; this line has only \"%s\"", source, node.has("chosen") ? "chosen" : "rejected"));
        }
        if (node.has("chosen") && node.has("rejected")) {
            String prompt = node.has("prompt") ? string(node, "prompt", source) : "";
            return new Example.Preference(prompt, string(node, "chosen", source),
                    string(node, "rejected", source), source);
        }
        if (node.has("messages")) {
            return new Example.Conversation(messages(node.get("messages"), source), source);
        }
        if (node.has("prompt") && node.has("completion")) {
            return new Example.PromptCompletion(string(node, "prompt", source),
                    string(node, "completion", source), source);
        }
        if (node.has("text")) {
            return new Example.Text(string(node, "text", source), source);
        }
        if (node.has("prompt") && node.has("label")) {
            return new Example.Labelled(string(node, "prompt", source), label(node, source), source);
        }
        if (node.has("prompt")) {
            return new Example.PromptOnly(string(node, "prompt", source), source);
        }
        throw new ConfigException(String.format(Locale.ROOT,
                "%s: no recognised keys in %s; a line needs one of %s", source, fieldNames(node), CONVENTIONS));
    }

    private static String column(JsonProcessingException e) {
        return e.getLocation() == null || e.getLocation().getColumnNr() < 1
                ? "" : " at column " + e.getLocation().getColumnNr();
    }

    /** Jackson's message without its source excerpt and location details, which the prefix already gives. */
    private static String brief(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        for (String noise : List.of("\n", " (start marker at", " at [Source")) {
            int cut = message.indexOf(noise);
            if (cut > 0) {
                message = message.substring(0, cut);
            }
        }
        return message;
    }

    private static List<Example.Message> messages(JsonNode array, Source source) {
        if (!array.isArray()) {
            throw new ConfigException(source + ": \"messages\" must be an array, was " + kind(array));
        }
        if (array.isEmpty()) {
            throw new ConfigException(source + ": \"messages\" is empty");
        }
        List<Example.Message> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) {
                throw new ConfigException(source + ": " + where + " must be an object, was " + kind(message));
            }
            for (String key : List.of("role", "content")) {
                if (!message.has(key)) {
                    throw new ConfigException(String.format(Locale.ROOT,
                            "%s: %s has no \"%s\"", source, where, key));
                }
            }
            String role = string(message, "role", source, where + ".");
            if (!ROLES.contains(role)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: %s.role must be one of %s, was \"%s\"", source, where, ROLES, role));
            }
            messages.add(new Example.Message(role, string(message, "content", source, where + ".")));
        }
        return messages;
    }

    private static String string(JsonNode node, String key, Source source) {
        return string(node, key, source, "");
    }

    private static String string(JsonNode node, String key, Source source, String prefix) {
        JsonNode value = node.get(key);
        if (!value.isTextual()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"%s%s\" must be a string, was %s", source, prefix, key, kind(value)));
        }
        return value.textValue();
    }

    private static String label(JsonNode node, Source source) {
        JsonNode value = node.get("label");
        if (!(value.isTextual() || value.isNumber() || value.isBoolean())) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: \"label\" must be a string, number or boolean, was %s", source, kind(value)));
        }
        return value.asText();
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** JSON's name for the node's type: string, number, boolean, null, array, object. */
    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
