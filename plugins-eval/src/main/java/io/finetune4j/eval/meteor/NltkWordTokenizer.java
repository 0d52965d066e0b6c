package io.finetune4j.eval.meteor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * NLTK's {@code word_tokenize} (nltk/tokenize/__init__.py, {@code NLTKWordTokenizer} in
 * nltk/tokenize/destructive.py), which HF evaluate's {@code meteor} applies to every prediction and reference
 * (NLTK >= 3.6.5). The word rules are NLTK's regexes in NLTK's order. Sentences are split first, as
 * {@code word_tokenize} does with Punkt, but by a plain rule instead of Punkt's trained English model: after
 * {@code .}, {@code !} or {@code ?} (and closing quotes or brackets) followed by white space and an upper-case
 * letter, digit or opening quote. Punkt also knows abbreviations ("Mr. Smith" stays one sentence there), so a
 * period after an abbreviation before a capitalised word can tokenise differently.
 */
final class NltkWordTokenizer {
    private static final int U = Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern SENTENCE_END =
            Pattern.compile("(?<=[.!?][\"')\\]}»”’]{0,3})\\s+(?=[\\p{Lu}\\d\"'“‘«(\\[])");

    private static final Rule[] STARTING_QUOTES = {
        new Rule("([«“‘„]|[`]+)", " $1 "),
        new Rule("^\"", "``"),
        new Rule("(``)", " $1 "),
        new Rule("([ (\\[{<])(\"|'{2})", "$1 `` "),
        new Rule("(?i)(')(?!re|ve|ll|m|t|s|d|n)(\\w)\\b", "$1 $2"),
    };
    private static final Rule[] PUNCTUATION = {
        new Rule("([^.])(\\.)([\\])}>\"'»”’ ]*)\\s*$", "$1 $2 $3 "),
        new Rule("([:,])([^\\d])", " $1 $2"),
        new Rule("([:,])$", " $1 "),
        new Rule("\\.{2,}", " $0 "),
        new Rule("[;@#$%&]", " $0 "),
        new Rule("([^.])(\\.)([\\])}>\"']*)\\s*$", "$1 $2$3 "),
        new Rule("[?!]", " $0 "),
        new Rule("([^'])' ", "$1 ' "),
        new Rule("[*]", " $0 "),
    };
    private static final Rule PARENS_BRACKETS = new Rule("[\\]\\[(){}<>]", " $0 ");
    private static final Rule DOUBLE_DASHES = new Rule("--", " -- ");
    private static final Rule[] ENDING_QUOTES = {
        new Rule("([»”’])", " $1 "),
        new Rule("''", " '' "),
        new Rule("\"", " '' "),
        new Rule("([^' ])('[sS]|'[mM]|'[dD]|') ", "$1 $2 "),
        new Rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "$1 $2 "),
    };
    // MacIntyre's contractions; Java has no (?#X) comments, so they are left out of the patterns.
    private static final Rule[] CONTRACTIONS = {
        new Rule("(?i)\\b(can)(not)\\b", " $1 $2 "),
        new Rule("(?i)\\b(d)('ye)\\b", " $1 $2 "),
        new Rule("(?i)\\b(gim)(me)\\b", " $1 $2 "),
        new Rule("(?i)\\b(gon)(na)\\b", " $1 $2 "),
        new Rule("(?i)\\b(got)(ta)\\b", " $1 $2 "),
        new Rule("(?i)\\b(lem)(me)\\b", " $1 $2 "),
        new Rule("(?i)\\b(more)('n)\\b", " $1 $2 "),
        new Rule("(?i)\\b(wan)(na)(?=\\s)", " $1 $2 "),
        new Rule("(?i) ('t)(is)\\b", " $1 $2 "),
        new Rule("(?i) ('t)(was)\\b", " $1 $2 "),
    };

    private NltkWordTokenizer() {}

    /** The tokens of {@code text}, sentence by sentence. */
    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        for (String sentence : SENTENCE_END.split(text.strip())) {
            tokens.addAll(tokenizeSentence(sentence));
        }
        return tokens;
    }

    /** {@code NLTKWordTokenizer.tokenize} of one sentence. */
    static List<String> tokenizeSentence(String sentence) {
        String text = sentence;
        for (Rule rule : STARTING_QUOTES) {
            text = rule.apply(text);
        }
        for (Rule rule : PUNCTUATION) {
            text = rule.apply(text);
        }
        text = PARENS_BRACKETS.apply(text);
        text = DOUBLE_DASHES.apply(text);
        text = " " + text + " ";
        for (Rule rule : ENDING_QUOTES) {
            text = rule.apply(text);
        }
        for (Rule rule : CONTRACTIONS) {
            text = rule.apply(text);
        }
        String trimmed = text.strip();
        return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
    }

    private record Rule(Pattern pattern, String replacement) {
        Rule(String regex, String replacement) {
            this(Pattern.compile(regex, U), replacement);
        }

        String apply(String text) {
            return pattern.matcher(text).replaceAll(replacement);
        }
    }
}
