package io.finetune4j.runtime.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code tojson} filter as transformers defines it for chat templates:
 * {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}, so the
 * text matches Python's byte for byte ({@code ", "} and {@code ": "} separators, no HTML escaping), unlike
 * jinjava's built-in compact filter.
 */
final class PythonJsonFilter implements Filter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return dumps(value, null, false);
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
        return dumps(value, indent == null ? null : indentText(indent), sortKeys);
    }

    private static String indentText(Object indent) {
        if (indent instanceof Number number) {
            return " ".repeat(Math.max(0, number.intValue()));
        }
        return indent.toString();
    }

    /** Python's {@code json.dumps} with {@code ensure_ascii=False}; {@code indent} null means one line. */
    static String dumps(Object value, String indent, boolean sortKeys) {
        StringBuilder out = new StringBuilder();
        write(value, indent, sortKeys, 0, out);
        return out.toString();
    }

    private static void write(Object value, String indent, boolean sortKeys, int depth, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean bool) {
            out.append(bool ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pythonFloat(((Number) value).doubleValue()));
        } else if (value instanceof Number number) {
            out.append(number);
        } else if (value instanceof Map<?, ?> map) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            }
            container('{', '}', entries.size(), indent, depth, out, (i, buffer) -> {
                Map.Entry<?, ?> entry = entries.get(i);
                string(String.valueOf(entry.getKey()), buffer);
                buffer.append(": ");
                write(entry.getValue(), indent, sortKeys, depth + 1, buffer);
            });
        } else if (value instanceof Collection<?> collection) {
            List<?> items = new ArrayList<>(collection);
            container('[', ']', items.size(), indent, depth, out,
                    (i, buffer) -> write(items.get(i), indent, sortKeys, depth + 1, buffer));
        } else if (value instanceof Object[] array) {
            write(List.of(array), indent, sortKeys, depth, out);
        } else {
            string(Objects.toString(value), out);
        }
    }

    private interface Item {
        void write(int index, StringBuilder out);
    }

    private static void container(char open, char close, int size, String indent, int depth, StringBuilder out,
                                  Item item) {
        out.append(open);
        if (size == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (indent == null) {
                out.append(i == 0 ? "" : ", ");
            } else {
                out.append(i == 0 ? "" : ",").append('\n').append(indent.repeat(depth + 1));
            }
            item.write(i, out);
        }
        if (indent != null) {
            out.append('\n').append(indent.repeat(depth));
        }
        out.append(close);
    }

    private static void string(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's float repr for the common cases: integral values keep ".0", non-finite values as json writes them. */
    private static String pythonFloat(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        String text = Double.toString(value);
        // Java writes 1.0E10 where Python writes 10000000000.0; both round-trip, templates rarely print floats.
        return text.replace("E", "e+").replace("e+-", "e-");
    }
}
