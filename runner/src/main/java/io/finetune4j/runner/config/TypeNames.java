package io.finetune4j.runner.config;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;

/** Describes expected types and given values in words for configuration messages. */
final class TypeNames {
    private TypeNames() {}

    /** {@code an integer}, {@code a number}, {@code a list of strings}, {@code one of [a, b]}. */
    static String describe(JavaType type) {
        if (type.isCollectionLikeType() || type.isArrayType()) {
            return "a list of " + plural(type.getContentType());
        }
        if (type.isMapLikeType()) {
            return "a mapping";
        }
        return singular(type.getRawClass());
    }

    private static String singular(Class<?> raw) {
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class
                || raw == short.class || raw == Short.class) {
            return "an integer";
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            return "a number";
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return "true or false";
        }
        if (raw == String.class) {
            return "a string";
        }
        if (raw.isEnum()) {
            List<String> names = Arrays.stream(raw.getEnumConstants()).map(Object::toString).toList();
            return "one of " + names;
        }
        return "a mapping";
    }

    private static String plural(JavaType content) {
        if (content == null) {
            return "values";
        }
        Class<?> raw = content.getRawClass();
        String one = singular(raw);
        return switch (one) {
            case "an integer" -> "integers";
            case "a number" -> "numbers";
            case "true or false" -> "booleans";
            case "a string" -> "strings";
            case "a mapping" -> "mappings";
            default -> "values (" + one + ")";
        };
    }

    /** A YAML value as the user wrote it: {@code 'eight'}, {@code 8.5}, {@code a list}, {@code a mapping}. */
    static String describeValue(JsonNode value) {
        if (value.isTextual()) {
            return "'" + value.asText() + "'";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        return value.asText();
    }
}
