package io.finetune4j.runtime.model.family;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of a parsed config.json for a {@link ModelFamily}'s parser, collecting one message per problem
 * (each naming the file and the key) instead of stopping at the first.
 */
public final class ConfigKeys {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Object> raw;
    private final String source;
    private final List<String> problems = new ArrayList<>();

    public ConfigKeys(Map<String, Object> raw, String source) {
        this.raw = raw;
        this.source = source;
    }

    /** The parsed config.json. */
    public Map<String, Object> raw() {
        return raw;
    }

    /** Where the config came from, for messages. */
    public String source() {
        return source;
    }

    /** Records a problem; {@code message} follows the source and a colon. */
    public void problem(String message) {
        problems.add(source + ": " + message);
    }

    /** Every problem found so far. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    public int positiveInt(String key) {
        Object value = raw.get(key);
        if (value == null) {
            problems.add(String.format("%s: missing required key '%s' (model_type '%s')",
                    source, key, raw.get("model_type")));
            return 0;
        }
        return checkPositiveInt(key, value);
    }

    public int optionalPositiveInt(String key, int fallback) {
        Object value = raw.get(key);
        return value == null ? fallback : checkPositiveInt(key, value);
    }

    private int checkPositiveInt(String key, Object value) {
        boolean integral = value instanceof Integer || value instanceof Long || value instanceof BigInteger;
        if (!integral || ((Number) value).doubleValue() < 1 || ((Number) value).doubleValue() > Integer.MAX_VALUE) {
            problems.add(String.format("%s: '%s' must be a positive integer, was %s", source, key, show(value)));
            return 0;
        }
        return ((Number) value).intValue();
    }

    public double positiveDouble(String key, double fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number number) || !(number.doubleValue() > 0) || Double.isInfinite(number.doubleValue())) {
            problems.add(String.format("%s: '%s' must be a positive number, was %s", source, key, show(value)));
            return fallback;
        }
        return number.doubleValue();
    }

    public boolean bool(String key, boolean fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Boolean flag)) {
            problems.add(String.format("%s: '%s' must be true or false, was %s", source, key, show(value)));
            return fallback;
        }
        return flag;
    }

    public String string(String key, String fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof String text)) {
            problems.add(String.format("%s: '%s' must be a string, was %s", source, key, show(value)));
            return fallback;
        }
        return text;
    }

    public void unsupportedIfTrue(String key, String why) {
        if (Boolean.TRUE.equals(raw.get(key))) {
            problems.add(String.format("%s: '%s' is true: %s", source, key, why));
        }
    }

    /**
     * rope_theta, or rope_parameters.rope_theta (transformers 5). RoPE scaling of the types the model
     * implements (default, linear, llama3) passes; their fields are checked when the model is built.
     */
    public double ropeTheta() {
        Object scaling = raw.get("rope_scaling");
        if (scaling != null && !isSupportedRope(scaling)) {
            problems.add(String.format("%s: 'rope_scaling' %s is not supported (supported rope types: "
                    + "default, linear, llama3)", source, show(scaling)));
        }
        double theta = positiveDouble("rope_theta", 10000.0);
        Object parameters = raw.get("rope_parameters");
        if (parameters instanceof Map<?, ?> map) {
            if (!isSupportedRope(map)) {
                problems.add(String.format("%s: 'rope_parameters' %s is not supported (supported rope "
                        + "types: default, linear, llama3)", source, show(map)));
            }
            Object nested = map.get("rope_theta");
            if (nested instanceof Number number && number.doubleValue() > 0 && !raw.containsKey("rope_theta")) {
                theta = number.doubleValue();
            }
        } else if (parameters != null) {
            problems.add(String.format("%s: 'rope_parameters' must be an object, was %s", source, show(parameters)));
        }
        return theta;
    }

    private static boolean isSupportedRope(Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            return false;
        }
        Object type = map.containsKey("rope_type") ? map.get("rope_type") : map.get("type");
        return type == null || "default".equals(type) || "linear".equals(type) || "llama3".equals(type);
    }

    public void checkHeads(int hidden, String hiddenKey, int heads, String headsKey, int kvHeads, String kvKey) {
        if (hidden <= 0 || heads <= 0 || kvHeads <= 0) {
            return; // already reported
        }
        if (hidden % heads != 0) {
            problems.add(String.format("%s: '%s' %d is not divisible by '%s' %d",
                    source, hiddenKey, hidden, headsKey, heads));
            return;
        }
        if (heads % kvHeads != 0) {
            problems.add(String.format("%s: '%s' %d is not divisible by '%s' %d",
                    source, headsKey, heads, kvKey, kvHeads));
        }
        Object headDim = raw.get("head_dim");
        if (headDim != null && !(headDim instanceof Number number && number.doubleValue() == hidden / heads)) {
            problems.add(String.format("%s: 'head_dim' %s differs from %s / %s = %d; not supported",
                    source, show(headDim), hiddenKey, headsKey, hidden / heads));
        }
    }

    /**
     * Grouped-query heads for a family whose {@code head_dim} is its own key (need not be hidden / heads):
     * {@code heads} must be a multiple of {@code kvHeads}.
     */
    public void checkGroups(int heads, String headsKey, int kvHeads, String kvKey) {
        if (heads > 0 && kvHeads > 0 && heads % kvHeads != 0) {
            problems.add(String.format("%s: '%s' %d is not divisible by '%s' %d",
                    source, headsKey, heads, kvKey, kvHeads));
        }
    }

    public static String show(Object value) {
        if (value instanceof String text) {
            return "\"" + text + "\"";
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }
}
