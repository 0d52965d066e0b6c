package io.finetune4j.runtime.chat;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * The global functions transformers adds to the Jinja environment of chat templates
 * ({@code _compile_jinja_template} in transformers' {@code utils/chat_template_utils.py}). Public only because
 * jinjava calls them reflectively; not part of the API.
 */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** {@code raise_exception(message)}: stops rendering with the template's message. */
    public static String raiseException(Object message) {
        throw new TemplateRaisedException(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the local time now, formatted with Python's strftime directives. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /** Python's {@code datetime.strftime} for the directives chat templates use (C locale names). */
    static String strftime(ZonedDateTime time, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char directive = format.charAt(++i);
            switch (directive) {
                case 'Y' -> out.append(time.getYear());
                case 'y' -> out.append(String.format(Locale.ROOT, "%02d", time.getYear() % 100));
                case 'm' -> out.append(String.format(Locale.ROOT, "%02d", time.getMonthValue()));
                case 'd' -> out.append(String.format(Locale.ROOT, "%02d", time.getDayOfMonth()));
                case 'e' -> out.append(String.format(Locale.ROOT, "%2d", time.getDayOfMonth()));
                case 'H' -> out.append(String.format(Locale.ROOT, "%02d", time.getHour()));
                case 'I' -> out.append(String.format(Locale.ROOT, "%02d", (time.getHour() + 11) % 12 + 1));
                case 'M' -> out.append(String.format(Locale.ROOT, "%02d", time.getMinute()));
                case 'S' -> out.append(String.format(Locale.ROOT, "%02d", time.getSecond()));
                case 'p' -> out.append(time.getHour() < 12 ? "AM" : "PM");
                case 'j' -> out.append(String.format(Locale.ROOT, "%03d", time.getDayOfYear()));
                case 'B' -> out.append(time.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> out.append(time.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> out.append(time.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> out.append(time.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'Z' -> out.append(time.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'z' -> out.append(DateTimeFormatter.ofPattern("xx", Locale.ROOT).format(time));
                case '%' -> out.append('%');
                default -> out.append('%').append(directive);
            }
        }
        return out.toString();
    }
}
