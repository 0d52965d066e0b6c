package io.finetune4j.runtime.chat;

import java.util.ArrayList;
import java.util.List;

/** Finds the filters a Jinja template applies ({@code value | name}), outside string literals. */
final class TemplateFilters {
    private TemplateFilters() {}

    /** One {@code | name} in an expression, with its 1-based template line. */
    record Use(String name, int line) {}

    static List<Use> uses(String source) {
        List<Use> uses = new ArrayList<>();
        int line = 1;
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == '\n') {
                line++;
            }
            boolean opens = c == '{' && i + 1 < source.length()
                    && (source.charAt(i + 1) == '{' || source.charAt(i + 1) == '%');
            if (!opens) {
                i++;
                continue;
            }
            String close = source.charAt(i + 1) == '{' ? "}}" : "%}";
            i += 2;
            while (i < source.length() && !source.startsWith(close, i)) {
                char d = source.charAt(i);
                if (d == '\n') {
                    line++;
                    i++;
                } else if (d == '\'' || d == '"') {
                    i = skipString(source, i, d);
                } else if (d == '|') {
                    int start = i + 1;
                    while (start < source.length() && Character.isWhitespace(source.charAt(start))) {
                        start++;
                    }
                    int end = start;
                    while (end < source.length() && (Character.isLetterOrDigit(source.charAt(end)) || source.charAt(end) == '_')) {
                        end++;
                    }
                    if (end > start) {
                        uses.add(new Use(source.substring(start, end), line));
                    }
                    i = Math.max(end, i + 1);
                } else {
                    i++;
                }
            }
            i += close.length();
        }
        return uses;
    }

    /** Index after the string literal that starts at {@code start}; backslash escapes the next character. */
    private static int skipString(String source, int start, char quote) {
        int i = start + 1;
        while (i < source.length() && source.charAt(i) != quote) {
            i += source.charAt(i) == '\\' ? 2 : 1;
        }
        return i + 1;
    }
}
