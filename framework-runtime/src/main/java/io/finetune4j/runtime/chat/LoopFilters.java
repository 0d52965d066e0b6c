package io.finetune4j.runtime.chat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites Jinja's loop filters, {@code {% for x in items if condition %}}, which jinjava reads as an inline if
 * and then loops over nothing, into a collecting loop and a plain loop over what it collected:
 * {@code {% set f = [] %}{% for x in items %}{% if condition %}{% do f.append(x) %}{% endif %}{% endfor %}{% for x in f %}}.
 * As in Python's Jinja, the filter runs first, so {@code loop.index}, {@code loop.last} and {@code loop.length}
 * count only the items kept (Mistral v0.3's tool loop {@code for key, val in tool.items() if key != "return"}
 * relies on {@code loop.last}). Several loop targets are collected as a list and unpacked again.
 */
final class LoopFilters {
    /** {@code {%[-+]? for TARGETS in ITERABLE if CONDITION [-]%}}; an inline {@code a if c else b} is no filter. */
    private static final Pattern FILTERED_FOR = Pattern.compile(
            "\\{%([-+]?)\\s*for\\s+((?:(?!%}).)+?)\\s+in\\s+((?:(?!%}).)+?)\\s+if\\s+((?:(?!%}).)+?)\\s*(-?)%}", Pattern.DOTALL);

    private LoopFilters() {}

    static String rewrite(String source) {
        Matcher matcher = FILTERED_FOR.matcher(source);
        StringBuilder out = new StringBuilder();
        int count = 0;
        while (matcher.find()) {
            String condition = matcher.group(4);
            if (condition.matches("(?s).*\\selse\\s.*")) {
                continue; // "for x in (a if c else b)": an inline if, which jinjava reads right
            }
            String open = matcher.group(1);
            String targets = matcher.group(2).trim();
            String close = matcher.group(5);
            String list = "__ft4j_filtered_" + count++;
            String item = targets.contains(",") ? "[" + targets + "]" : targets;
            String replacement = "{%" + open + " set " + list + " = [] %}"
                    + "{% for " + targets + " in " + matcher.group(3) + " %}{% if " + condition + " %}"
                    + "{% do " + list + ".append(" + item + ") %}{% endif %}{% endfor %}"
                    + "{% for " + targets + " in " + list + " " + close + "%}";
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
