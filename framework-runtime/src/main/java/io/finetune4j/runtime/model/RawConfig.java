package io.finetune4j.runtime.model;

import io.finetune4j.api.ConfigException;
import java.util.Map;

/** Typed reads of optional keys in a parsed config.json, with Hugging Face's defaults. */
public final class RawConfig {
    private final Map<String, Object> raw;
    private final String source;

    public RawConfig(Map<String, Object> raw, String source) {
        this.raw = raw;
        this.source = source;
    }

    public String source() {
        return source;
    }

    public boolean has(String key) {
        return raw.get(key) != null;
    }

    public boolean bool(String key, boolean fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean flag) {
            return flag;
        }
        throw new ConfigException(source + ": " + key + ": must be true or false, was " + value);
    }

    /** Null when the key is absent or null. */
    public Integer integer(String key) {
        Object value = raw.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            return number.intValue();
        }
        throw new ConfigException(source + ": " + key + ": must be an integer, was " + value);
    }

    public double number(String key, double fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        throw new ConfigException(source + ": " + key + ": must be a number, was " + value);
    }

    public Object get(String key) {
        return raw.get(key);
    }
}
