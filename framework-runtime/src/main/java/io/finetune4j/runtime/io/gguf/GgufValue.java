package io.finetune4j.runtime.io.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One GGUF metadata value. Integers of every width are held as {@link Long} (a UINT64 above
 * {@code Long.MAX_VALUE} keeps its bits), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as
 * {@link Boolean}, STRING as {@link String}, and ARRAY as a list of values that all have {@code elementType}.
 *
 * @param elementType the element type of an ARRAY; null otherwise
 */
public record GgufValue(GgufValueType type, Object value, GgufValueType elementType) {
    public GgufValue {
        Objects.requireNonNull(type, "type is null");
        Objects.requireNonNull(value, "value is null");
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("an ARRAY and only an ARRAY has an element type");
        }
        if (type == GgufValueType.ARRAY) {
            List<?> items = (List<?>) value;
            for (Object item : items) {
                if (!(item instanceof GgufValue element) || element.type() != elementType) {
                    throw new IllegalArgumentException("every element of an ARRAY of " + elementType + " must be one");
                }
            }
            value = List.copyOf(items);
        }
    }

    public static GgufValue string(String value) {
        return new GgufValue(GgufValueType.STRING, value, null);
    }

    public static GgufValue uint32(long value) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException("not a UINT32: " + value);
        }
        return new GgufValue(GgufValueType.UINT32, value, null);
    }

    public static GgufValue int32(int value) {
        return new GgufValue(GgufValueType.INT32, (long) value, null);
    }

    public static GgufValue float32(double value) {
        return new GgufValue(GgufValueType.FLOAT32, (float) value, null);
    }

    public static GgufValue bool(boolean value) {
        return new GgufValue(GgufValueType.BOOL, value, null);
    }

    /** A value of an integer type, range-checked. */
    public static GgufValue integer(GgufValueType type, long value) {
        long min;
        long max;
        switch (type) {
            case UINT8 -> { min = 0; max = 0xff; }
            case INT8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
            case UINT16 -> { min = 0; max = 0xffff; }
            case INT16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
            case UINT32 -> { min = 0; max = 0xffffffffL; }
            case INT32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
            case UINT64, INT64 -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; }
            default -> throw new IllegalArgumentException(type + " is not an integer type");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("not a " + type + ": " + value);
        }
        return new GgufValue(type, value, null);
    }

    public static GgufValue array(GgufValueType elementType, List<GgufValue> items) {
        return new GgufValue(GgufValueType.ARRAY, items, elementType);
    }

    public static GgufValue stringArray(List<String> items) {
        List<GgufValue> values = new ArrayList<>(items.size());
        items.forEach(item -> values.add(string(item)));
        return array(GgufValueType.STRING, values);
    }

    public static GgufValue int32Array(int[] items) {
        List<GgufValue> values = new ArrayList<>(items.length);
        for (int item : items) {
            values.add(int32(item));
        }
        return array(GgufValueType.INT32, values);
    }

    /** The value of a STRING. */
    public String asString() {
        return (String) as(GgufValueType.STRING);
    }

    /** The value of any integer type. */
    public long asLong() {
        if (!(value instanceof Long number)) {
            throw new IllegalStateException("not an integer but " + type + ": " + value);
        }
        return number;
    }

    /** The value of FLOAT32 or FLOAT64. */
    public double asDouble() {
        if (value instanceof Float f) {
            return f;
        }
        if (value instanceof Double d) {
            return d;
        }
        throw new IllegalStateException("not a float but " + type + ": " + value);
    }

    public boolean asBoolean() {
        return (Boolean) as(GgufValueType.BOOL);
    }

    /** The elements of an ARRAY. */
    @SuppressWarnings("unchecked")
    public List<GgufValue> asList() {
        return (List<GgufValue>) as(GgufValueType.ARRAY);
    }

    /** The strings of an ARRAY of STRING. */
    public List<String> asStrings() {
        return asList().stream().map(GgufValue::asString).toList();
    }

    private Object as(GgufValueType expected) {
        if (type != expected) {
            throw new IllegalStateException("not a " + expected + " but " + type + ": " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        if (type == GgufValueType.ARRAY) {
            List<GgufValue> items = asList();
            return "[" + items.size() + " x " + elementType + "]";
        }
        return type + ":" + value;
    }
}
