package io.finetune4j.runner.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Typed reads of pipeline keys that report a problem, rather than throw, on a wrong type. */
final class YamlFields {
    private YamlFields() {}

    static Optional<String> string(ObjectNode node, String key, ConfigProblems problems) {
        JsonNode value = node.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            problems.add(key, "expected a string, was %s", TypeNames.describeValue(value));
            return Optional.empty();
        }
        return Optional.of(value.asText());
    }

    static Optional<Long> integer(ObjectNode node, String key, ConfigProblems problems) {
        JsonNode value = node.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            problems.add(key, "expected an integer, was %s", TypeNames.describeValue(value));
            return Optional.empty();
        }
        return Optional.of(value.asLong());
    }

    static Optional<Boolean> bool(ObjectNode node, String key, ConfigProblems problems) {
        JsonNode value = node.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            problems.add(key, "expected true or false, was %s", TypeNames.describeValue(value));
            return Optional.empty();
        }
        return Optional.of(value.asBoolean());
    }

    /** A mapping, or empty with a problem when the key holds something else; empty without one when absent. */
    static Optional<ObjectNode> mapping(ObjectNode node, String key, ConfigProblems problems) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isObject()) {
            problems.add(key, "expected a mapping, was %s", TypeNames.describeValue(value));
            return Optional.empty();
        }
        return Optional.of((ObjectNode) value);
    }

    /** A list of strings; a single string counts as a list of one. Empty with a problem on a wrong type. */
    static Optional<List<String>> strings(ObjectNode node, String key, ConfigProblems problems) {
        JsonNode value = node.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value.isTextual()) {
            return Optional.of(List.of(value.asText()));
        }
        if (!value.isArray()) {
            problems.add(key, "expected a string or a list of strings, was %s", TypeNames.describeValue(value));
            return Optional.empty();
        }
        List<String> items = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (item.isTextual()) {
                items.add(item.asText());
            } else {
                problems.add(key + "[" + i + "]", "expected a string, was %s", TypeNames.describeValue(item));
                ok = false;
            }
        }
        return ok ? Optional.of(items) : Optional.empty();
    }
}
