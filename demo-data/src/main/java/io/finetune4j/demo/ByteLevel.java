package io.finetune4j.demo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level view of text, as Hugging Face's {@code ByteLevel} pre-tokenizer implements it: split
 * with GPT-2's regex, then spell each piece's UTF-8 bytes with one printable character per byte
 * ({@code bytes_to_unicode} of OpenAI's {@code encoder.py}: a space becomes {@code Ġ}).
 */
final class ByteLevel {
    /** GPT-2's pre-tokenization pattern; {@code \s} and friends are Unicode-aware as in the Rust regex. */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final char[] BYTE_TO_CHAR = byteToChar();

    private ByteLevel() {}

    /** The pieces of {@code text}, each spelled in byte-level characters. */
    static List<String> preTokenize(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher matcher = PRE_TOKENIZER.matcher(text);
        int end = 0;
        while (matcher.find()) {
            if (matcher.start() > end) { // cannot happen with this pattern; kept so no text is ever dropped
                pieces.add(spell(text.substring(end, matcher.start())));
            }
            pieces.add(spell(matcher.group()));
            end = matcher.end();
        }
        if (end < text.length()) {
            pieces.add(spell(text.substring(end)));
        }
        return pieces;
    }

    /** {@code text}'s UTF-8 bytes, one byte-level character each. */
    static String spell(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /** Inverse of {@link #spell}: byte-level characters back to text. */
    static String unspell(String byteLevel) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(byteLevel.length());
        for (int i = 0; i < byteLevel.length(); i++) {
            bytes.write(byteOf(byteLevel.charAt(i)));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The character that stands for byte {@code b}. */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    private static int byteOf(char c) {
        for (int b = 0; b < 256; b++) {
            if (BYTE_TO_CHAR[b] == c) {
                return b;
            }
        }
        throw new IllegalArgumentException("not a byte-level character: U+" + Integer.toHexString(c));
    }

    /**
     * Printable bytes ({@code !..~}, {@code ¡..¬}, {@code ®..ÿ}) stand for themselves; the other 68 bytes
     * map, in order, to U+0100 onwards.
     */
    private static char[] byteToChar() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = (char) (printable ? b : next++);
        }
        return table;
    }
}
