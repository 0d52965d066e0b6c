package io.finetune4j.runtime.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods (and {@code dict.get(key, default)}) for templates written against Python's
 * Jinja, which calls methods of the underlying Python objects. jinjava would call Java's methods of the same
 * name instead, which either do not exist ({@code startswith}, {@code title}) or differ ({@code split} takes a
 * regex and returns an array, {@code strip} takes no characters). Placed first in jinjava's resolver chain;
 * every other call falls through.
 */
final class PythonMethodResolver extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String text) {
            result = stringMethod(text, name, args);
        } else if (base instanceof Map<?, ?> map && name.equals("get") && args.length == 2) {
            result = map.containsKey(args[0]) ? map.get(args[0]) : args[1];
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String text, String name, Object[] args) {
        return switch (name) {
            case "strip" -> lstrip(rstrip(text, chars(args)), chars(args));
            case "lstrip" -> lstrip(text, chars(args));
            case "rstrip" -> rstrip(text, chars(args));
            case "upper" -> text.toUpperCase(Locale.ROOT);
            case "lower" -> text.toLowerCase(Locale.ROOT);
            case "title" -> title(text);
            case "capitalize" -> text.isEmpty() ? text
                    : text.substring(0, 1).toUpperCase(Locale.ROOT) + text.substring(1).toLowerCase(Locale.ROOT);
            case "startswith" -> anyAffix(args, text::startsWith);
            case "endswith" -> anyAffix(args, text::endsWith);
            case "split" -> split(text, args);
            case "replace" -> replace(text, args);
            case "find" -> args.length >= 1 ? (long) text.indexOf(String.valueOf(args[0])) : NOT_HANDLED;
            case "count" -> args.length >= 1 ? (long) count(text, String.valueOf(args[0])) : NOT_HANDLED;
            case "join" -> args.length == 1 ? join(text, args[0]) : NOT_HANDLED;
            case "isspace" -> !text.isEmpty() && text.chars().allMatch(PythonMethodResolver::isSpace);
            case "isdigit" -> !text.isEmpty() && text.chars().allMatch(Character::isDigit);
            default -> NOT_HANDLED;
        };
    }

    /** Python's {@code str.isspace} characters: Unicode whitespace and the ASCII separators 0x1c-0x1f. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String text, String chars) {
        int start = 0;
        while (start < text.length() && strippable(text.charAt(start), chars)) {
            start++;
        }
        return text.substring(start);
    }

    static String rstrip(String text, String chars) {
        int end = text.length();
        while (end > 0 && strippable(text.charAt(end - 1), chars)) {
            end--;
        }
        return text.substring(0, end);
    }

    /** Python's {@code str.title}: a cased character following an uncased one starts a word. */
    static String title(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean previousCased = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            out.append(cased ? (previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            previousCased = cased;
        }
        return out.toString();
    }

    private static Object anyAffix(Object[] args, java.util.function.Predicate<String> test) {
        if (args.length == 0) {
            return NOT_HANDLED;
        }
        if (args[0] instanceof Collection<?> options) { // Python accepts a tuple of prefixes
            return options.stream().anyMatch(option -> test.test(String.valueOf(option)));
        }
        return test.test(String.valueOf(args[0]));
    }

    /** Python's {@code str.split([sep[, maxsplit]])}: no separator splits on whitespace runs and drops empties. */
    static List<String> split(String text, Object[] args) {
        String separator = args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
        int maxSplit = args.length > 1 && args[1] instanceof Number number ? number.intValue() : -1;
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < text.length() && isSpace(text.charAt(i))) {
                    i++;
                }
                if (i == text.length()) {
                    break;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(rstrip(text.substring(i), null));
                    break;
                }
                int start = i;
                while (i < text.length() && !isSpace(text.charAt(i))) {
                    i++;
                }
                parts.add(text.substring(start, i));
            }
            return parts;
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int start = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = text.indexOf(separator, start)) >= 0) {
            parts.add(text.substring(start, at));
            start = at + separator.length();
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static Object replace(String text, Object[] args) {
        if (args.length < 2) {
            return NOT_HANDLED;
        }
        String old = String.valueOf(args[0]);
        String replacement = String.valueOf(args[1]);
        int count = args.length > 2 && args[2] instanceof Number number ? number.intValue() : -1;
        if (count < 0) {
            return text.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int start = 0;
        int at;
        int done = 0;
        while (done < count && !old.isEmpty() && (at = text.indexOf(old, start)) >= 0) {
            out.append(text, start, at).append(replacement);
            start = at + old.length();
            done++;
        }
        return out.append(text.substring(start)).toString();
    }

    private static int count(String text, String part) {
        if (part.isEmpty()) {
            return text.length() + 1;
        }
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    private static Object join(String separator, Object items) {
        if (!(items instanceof Collection<?> collection)) {
            return NOT_HANDLED;
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : collection) {
            out.append(first ? "" : separator).append(item);
            first = false;
        }
        return out.toString();
    }

    // Property access is left to jinjava's own resolvers.
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
