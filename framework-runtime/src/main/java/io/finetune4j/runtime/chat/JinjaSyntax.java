package io.finetune4j.runtime.chat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Source rewrites for two places where jinjava reads Jinja differently from Python's Jinja2 (3.1):
 *
 * <ul>
 *   <li>whitespace control on expressions and comments ({@code {{- x -}}}, {@code {#- c -#}}), which jinjava
 *       ignores: Jinja's lexer drops the whitespace next to the marker, so dropping it from the source is the same
 *       thing; tags ({@code {%- -%}}) are done the same way for one consistent rule;
 *   <li>the precedence of {@code not}: Jinja reads {@code not a|length == 1} as {@code not (a|length == 1)}
 *       (comparisons bind tighter than {@code not}), jinjava as {@code (not a|length) == 1} (Llama 3.x's
 *       tool-call check); the comparison after a unary {@code not} is put in parentheses.
 * </ul>
 */
final class JinjaSyntax {
    private static final Pattern STRIP_BEFORE = Pattern.compile("\\s*(\\{[{%#])-");
    private static final Pattern STRIP_AFTER = Pattern.compile("-([}%#]\\})\\s*");
    private static final Pattern CODE = Pattern.compile("(\\{\\{|\\{%)(.*?)(\\}\\}|%\\})", Pattern.DOTALL);
    private static final Pattern COMPARISON = Pattern.compile("==|!=|<=|>=|<|>|\\sin\\s");
    /** Words after which {@code not} is the unary operator rather than part of {@code not in}. */
    private static final List<String> UNARY_CONTEXT = List.of("if", "elif", "and", "or", "not", "else", "return");

    private JinjaSyntax() {}

    static String rewrite(String source) {
        String stripped = STRIP_AFTER.matcher(STRIP_BEFORE.matcher(source).replaceAll("$1")).replaceAll("$1");
        Matcher code = CODE.matcher(stripped);
        StringBuilder out = new StringBuilder();
        while (code.find()) {
            String body = code.group(2);
            if (code.group(1).equals("{%") && body.trim().startsWith("raw")) {
                code.appendReplacement(out, Matcher.quoteReplacement(code.group()));
                continue;
            }
            code.appendReplacement(out, Matcher.quoteReplacement(code.group(1) + notPrecedence(body) + code.group(3)));
        }
        code.appendTail(out);
        return out.toString();
    }

    /** Puts {@code not A op B} (A, B at depth 0, no and/or) in parentheses as {@code not (A op B)}. */
    static String notPrecedence(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(body, i);
                out.append(body, i, end);
                i = end;
                continue;
            }
            if (isWord(body, i, "not") && unaryPosition(out)) {
                int start = i + 3;
                int end = operandEnd(body, start);
                String operand = body.substring(start, end);
                if (COMPARISON.matcher(withoutStrings(operand)).find() && !operand.trim().startsWith("(")) {
                    out.append("not (").append(notPrecedence(operand.trim())).append(')');
                    if (end > start && Character.isWhitespace(body.charAt(end - 1))) {
                        out.append(' ');
                    }
                    i = end;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static boolean isWord(String text, int at, String word) {
        return text.startsWith(word, at)
                && (at == 0 || !Character.isJavaIdentifierPart(text.charAt(at - 1)))
                && (at + word.length() >= text.length() || Character.isWhitespace(text.charAt(at + word.length()))
                    || text.charAt(at + word.length()) == '(');
    }

    /** True when the text so far ends where an operand may start (so {@code not} is unary, not {@code not in}). */
    private static boolean unaryPosition(CharSequence before) {
        String text = before.toString().stripTrailing();
        if (text.isEmpty() || text.endsWith("(") || text.endsWith(",") || text.endsWith("=") || text.endsWith("[")) {
            return true;
        }
        for (String word : UNARY_CONTEXT) {
            if (text.endsWith(word) && (text.length() == word.length()
                    || !Character.isJavaIdentifierPart(text.charAt(text.length() - word.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    /** Where the operand of a unary not ends: at depth 0, before and/or/if/else, a closing bracket or a comma. */
    private static int operandEnd(String body, int from) {
        int depth = 0;
        int i = from;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(body, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (depth == 0 && (c == ',' || isWord(body, i, "and") || isWord(body, i, "or")
                    || isWord(body, i, "if") || isWord(body, i, "else"))) {
                return i;
            }
            i++;
        }
        return body.length();
    }

    private static int stringEnd(String text, int open) {
        char quote = text.charAt(open);
        int i = open + 1;
        while (i < text.length() && text.charAt(i) != quote) {
            i += text.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(text.length(), i + 1);
    }

    private static String withoutStrings(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(text, i);
                out.append("''");
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }
}
