package io.finetune4j.runner.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binds the keys of a pipeline section onto a plugin's settings record: the record's
 * {@code defaults()} are turned into a snake_case map, the section's keys are laid over it, and the
 * result is turned back into the record. Unknown keys and values of the wrong type become problems
 * named by their path, all of them at once; a single value where a list is expected is accepted.
 */
public final class ConfigBinder {
    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private final ObjectMapper mapper;

    public ConfigBinder() {
        this.mapper = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    /** The mapper used for binding, shared so that records are written back with the same key names. */
    public ObjectMapper mapper() {
        return mapper;
    }

    /** The snake_case keys a record type accepts, in declaration order. */
    public static List<String> keysOf(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(component -> snakeCase(component.getName())).toList();
    }

    public static String snakeCase(String name) {
        return SNAKE_CASE.translate(name);
    }

    /**
     * Lays {@code values} over {@code defaults}.
     *
     * @param values the section's keys; null or empty for none
     * @param handledElsewhere keys the caller reads itself: accepted and listed as known, but not bound
     * @param problems where unknown keys and type errors go, relative to the section's path
     * @return the record with every well-typed known key bound (keys with problems keep their defaults, so
     *     the caller can still validate the rest and report everything at once); empty only when the
     *     record itself cannot be built
     */
    public <C extends Record> Optional<C> bind(C defaults, Class<C> type, ObjectNode values,
                                               Collection<String> handledElsewhere, ConfigProblems problems) {
        Map<String, RecordComponent> components = new LinkedHashMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            components.put(snakeCase(component.getName()), component);
        }
        Set<String> known = new TreeSet<>(components.keySet());
        known.addAll(handledElsewhere);
        ObjectNode merged = mapper.valueToTree(defaults);
        if (values != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String key = entry.getKey();
                if (handledElsewhere.contains(key)) {
                    continue;
                }
                RecordComponent component = components.get(key);
                if (component == null) {
                    problems.add(key, "unknown key; known: %s%s", known, Suggestions.didYouMean(key, known));
                } else if (checkType(key, component, entry.getValue(), problems)) {
                    merged.set(key, entry.getValue());
                }
            }
        }
        try {
            return Optional.of(mapper.treeToValue(merged, type));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // Reached when a record's own constructor rejects the values (or a nested type mismatches).
            problems.add("", "cannot be bound to %s: %s", type.getSimpleName(), describe(e));
            return Optional.empty();
        }
    }

    private boolean checkType(String key, RecordComponent component, JsonNode value, ConfigProblems problems) {
        JavaType javaType = mapper.getTypeFactory().constructType(component.getGenericType());
        if (value == null || value.isNull()) {
            problems.add(key, "expected %s, was null", TypeNames.describe(javaType));
            return false;
        }
        try {
            mapper.readerFor(javaType).readValue(value);
            return true;
        } catch (java.io.IOException | IllegalArgumentException e) {
            problems.add(key, "expected %s, was %s", TypeNames.describe(javaType), TypeNames.describeValue(value));
            return false;
        }
    }

    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root instanceof JsonProcessingException json ? json.getOriginalMessage() : root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }

    /** Keys of {@code node} not in {@code known}, each as a problem with the list of known keys. */
    public static boolean rejectUnknownKeys(ObjectNode node, Collection<String> known, ConfigProblems problems) {
        Set<String> sorted = new TreeSet<>(known);
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(key -> {
            if (!sorted.contains(key)) {
                unknown.add(key);
            }
        });
        for (String key : unknown) {
            problems.add(key, "unknown key; known: %s%s", sorted, Suggestions.didYouMean(key, sorted));
        }
        return unknown.isEmpty();
    }
}
