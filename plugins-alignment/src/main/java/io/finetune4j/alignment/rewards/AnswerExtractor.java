package io.finetune4j.alignment.rewards;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer part of a text, normalised for comparison:
 * <ul>
 *   <li>{@code number}: the last number ({@code -12}, {@code 3.50}, {@code 1,000}) of the first non-blank
 *       line, thousands commas removed and compared by value, so {@code 4}, {@code 4.0} and {@code +4} are
 *       one answer, "9 minus 2 is 7." answers 7, and whatever a model writes on later lines is ignored;</li>
 *   <li>{@code line}: the first non-blank line, trimmed, lower-cased, inner whitespace collapsed to one
 *       space, trailing {@code .,;:!} removed;</li>
 *   <li>{@code auto}: {@code number} when the reference holds a number, else {@code line}.</li>
 * </ul>
 */
public final class AnswerExtractor {
    public static final List<String> MODES = List.of("auto", "number", "line");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?");

    private AnswerExtractor() {}

    /** True when {@code completion}'s answer equals {@code reference}'s under {@code mode}. */
    public static boolean matches(String completion, String reference, String mode) {
        boolean numeric = switch (mode) {
            case "number" -> true;
            case "line" -> false;
            default -> answerNumber(reference).isPresent();
        };
        if (numeric) {
            Optional<BigDecimal> expected = answerNumber(reference);
            Optional<BigDecimal> actual = answerNumber(completion);
            return expected.isPresent() && actual.isPresent() && expected.get().compareTo(actual.get()) == 0;
        }
        String expected = firstLine(reference);
        return !expected.isEmpty() && expected.equals(firstLine(completion));
    }

    /** The last number of the first non-blank line. */
    public static Optional<BigDecimal> answerNumber(String text) {
        Matcher matcher = NUMBER.matcher(firstRawLine(text));
        String last = null;
        while (matcher.find()) {
            last = matcher.group();
        }
        return last == null ? Optional.empty() : Optional.of(new BigDecimal(last.replace(",", "").replace("+", "")));
    }

    /** The first non-blank line, normalised. */
    public static String firstLine(String text) {
        return firstRawLine(text).strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ")
                .replaceAll("[.,;:!]+$", "");
    }

    private static String firstRawLine(String text) {
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                return line;
            }
        }
        return "";
    }
}
