package io.finetune4j.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Collects every problem of one config at once, each prefixed with the key's path in the pipeline file,
 * e.g. {@code stages[1].method.r: must be > 0, was 0}. Children share the parent's list.
 */
@Stable
public final class ConfigProblems {
    private final String path;
    private final List<String> messages;

    private ConfigProblems(String path, List<String> messages) {
        this.path = path;
        this.messages = messages;
    }

    /** Problems of the config found at {@code path} ({@code ""} for the root). */
    public static ConfigProblems at(String path) {
        return new ConfigProblems(path, new ArrayList<>());
    }

    /** A view whose keys are relative to {@code key} (a field name or {@code [i]}); problems go to the same list. */
    public ConfigProblems child(String key) {
        return new ConfigProblems(join(path, key), messages);
    }

    /** Adds {@code key: message} unless {@code ok}. */
    public boolean check(boolean ok, String key, String format, Object... args) {
        if (!ok) {
            add(key, format, args);
        }
        return ok;
    }

    public void add(String key, String format, Object... args) {
        String where = join(path, key);
        String message = args.length == 0 ? format : String.format(java.util.Locale.ROOT, format, args);
        messages.add(where.isEmpty() ? message : where + ": " + message);
    }

    public String path() {
        return path;
    }

    public boolean isEmpty() {
        return messages.isEmpty();
    }

    public List<String> messages() {
        return Collections.unmodifiableList(messages);
    }

    /** Throws one {@link ConfigException} listing every problem, if there is any. */
    public void throwIfAny() {
        if (!messages.isEmpty()) {
            throw new ConfigException(List.copyOf(messages));
        }
    }

    private static String join(String parent, String key) {
        if (key == null || key.isEmpty()) {
            return parent;
        }
        if (parent.isEmpty()) {
            return key;
        }
        return key.startsWith("[") ? parent + key : parent + "." + key;
    }
}
