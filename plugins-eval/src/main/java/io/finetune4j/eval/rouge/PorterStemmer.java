package io.finetune4j.eval.rouge;

import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer (Porter 1980) in NLTK's default {@code NLTK_EXTENSIONS} mode, which is what both
 * rouge-score ({@code porter.PorterStemmer()}) and NLTK's METEOR use: a table of irregular forms, words of
 * one or two letters left alone, {@code ies}/{@code ied} of four letters kept as {@code ie}, y to i only
 * after a consonant that is not the first letter, the {@code bli}, {@code alli} (applied first and then
 * step 2 again), {@code fulli} and {@code logi} rules of step 2, and the {@code cvc} test also true for a
 * two-letter vowel-consonant stem. Input is lower-cased first.
 */
public final class PorterStemmer {
    private static final Map<String, String> IRREGULAR = Map.ofEntries(
            Map.entry("skies", "sky"), Map.entry("sky", "sky"), Map.entry("dying", "die"),
            Map.entry("lying", "lie"), Map.entry("tying", "tie"), Map.entry("news", "news"),
            Map.entry("innings", "inning"), Map.entry("inning", "inning"), Map.entry("outings", "outing"),
            Map.entry("outing", "outing"), Map.entry("cannings", "canning"), Map.entry("canning", "canning"),
            Map.entry("howe", "howe"), Map.entry("proceed", "proceed"), Map.entry("exceed", "exceed"),
            Map.entry("succeed", "succeed"));

    private PorterStemmer() {}

    public static String stem(String word) {
        String stem = word.toLowerCase(java.util.Locale.ROOT);
        String irregular = IRREGULAR.get(stem);
        if (irregular != null) {
            return irregular;
        }
        if (stem.length() <= 2) {
            return stem;
        }
        stem = step1a(stem);
        stem = step1b(stem);
        stem = step1c(stem);
        stem = step2(stem);
        stem = step3(stem);
        stem = step4(stem);
        stem = step5a(stem);
        return step5b(stem);
    }

    static boolean isConsonant(String word, int i) {
        char c = word.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') {
            return false;
        }
        if (c == 'y') {
            return i == 0 || !isConsonant(word, i - 1);
        }
        return true;
    }

    /** Porter's m: the number of vowel-consonant sequences in {@code [C](VC)^m[V]}. */
    static int measure(String stem) {
        int m = 0;
        boolean previousVowel = false;
        for (int i = 0; i < stem.length(); i++) {
            boolean consonant = isConsonant(stem, i);
            if (consonant && previousVowel) {
                m++;
            }
            previousVowel = !consonant;
        }
        return m;
    }

    private static boolean hasPositiveMeasure(String stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(String stem) {
        for (int i = 0; i < stem.length(); i++) {
            if (!isConsonant(stem, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsDoubleConsonant(String word) {
        int n = word.length();
        return n >= 2 && word.charAt(n - 1) == word.charAt(n - 2) && isConsonant(word, n - 1);
    }

    /** *o: consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a two-letter vowel-consonant word. */
    static boolean endsCvc(String word) {
        int n = word.length();
        if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1)) {
            char last = word.charAt(n - 1);
            return last != 'w' && last != 'x' && last != 'y';
        }
        return n == 2 && !isConsonant(word, 0) && isConsonant(word, 1);
    }

    private record Rule(String suffix, String replacement, Predicate<String> condition) {}

    private static Rule rule(String suffix, String replacement, Predicate<String> condition) {
        return new Rule(suffix, replacement, condition);
    }

    /** The first rule whose suffix the word has decides: applied when its condition holds on the stem. */
    private static String apply(String word, Rule... rules) {
        for (Rule rule : rules) {
            if (word.endsWith(rule.suffix())) {
                String stem = word.substring(0, word.length() - rule.suffix().length());
                if (rule.condition() == null || rule.condition().test(stem)) {
                    return stem + rule.replacement();
                }
                return word;
            }
        }
        return word;
    }

    private static String step1a(String word) {
        if (word.endsWith("ies") && word.length() == 4) {
            return word.substring(0, 1) + "ie"; // dies -> die, not di
        }
        return apply(word, rule("sses", "ss", null), rule("ies", "i", null), rule("ss", "ss", null),
                rule("s", "", null));
    }

    private static String step1b(String word) {
        if (word.endsWith("ied")) {
            return word.length() == 4 ? word.substring(0, 1) + "ie" : word.substring(0, word.length() - 3) + "i";
        }
        if (word.endsWith("eed")) {
            String stem = word.substring(0, word.length() - 3);
            return measure(stem) > 0 ? stem + "ee" : word;
        }
        String stem;
        if (word.endsWith("ed") && containsVowel(word.substring(0, word.length() - 2))) {
            stem = word.substring(0, word.length() - 2);
        } else if (word.endsWith("ing") && containsVowel(word.substring(0, word.length() - 3))) {
            stem = word.substring(0, word.length() - 3);
        } else {
            return word;
        }
        if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) {
            return stem + "e";
        }
        if (endsDoubleConsonant(stem)) {
            char last = stem.charAt(stem.length() - 1);
            return last == 'l' || last == 's' || last == 'z' ? stem : stem.substring(0, stem.length() - 1);
        }
        if (measure(stem) == 1 && endsCvc(stem)) {
            return stem + "e";
        }
        return stem;
    }

    private static String step1c(String word) {
        if (word.endsWith("y")) {
            String stem = word.substring(0, word.length() - 1);
            if (stem.length() > 1 && isConsonant(stem, stem.length() - 1)) {
                return stem + "i";
            }
        }
        return word;
    }

    private static String step2(String word) {
        if (word.endsWith("alli") && hasPositiveMeasure(word.substring(0, word.length() - 4))) {
            return step2(word.substring(0, word.length() - 4) + "al");
        }
        Predicate<String> m = PorterStemmer::hasPositiveMeasure;
        return apply(word,
                rule("ational", "ate", m), rule("tional", "tion", m), rule("enci", "ence", m),
                rule("anci", "ance", m), rule("izer", "ize", m), rule("bli", "ble", m),
                rule("alli", "al", m), rule("entli", "ent", m), rule("eli", "e", m), rule("ousli", "ous", m),
                rule("ization", "ize", m), rule("ation", "ate", m), rule("ator", "ate", m),
                rule("alism", "al", m), rule("iveness", "ive", m), rule("fulness", "ful", m),
                rule("ousness", "ous", m), rule("aliti", "al", m), rule("iviti", "ive", m),
                rule("biliti", "ble", m), rule("fulli", "ful", m),
                // Barry Wilkins: the l of logi stays in the stem when measuring, so geo-logi -> geolog
                rule("logi", "log", stem -> hasPositiveMeasure(stem + "l")));
    }

    private static String step3(String word) {
        Predicate<String> m = PorterStemmer::hasPositiveMeasure;
        return apply(word, rule("icate", "ic", m), rule("ative", "", m), rule("alize", "al", m),
                rule("iciti", "ic", m), rule("ical", "ic", m), rule("ful", "", m), rule("ness", "", m));
    }

    private static String step4(String word) {
        Predicate<String> m = stem -> measure(stem) > 1;
        return apply(word, rule("al", "", m), rule("ance", "", m), rule("ence", "", m), rule("er", "", m),
                rule("ic", "", m), rule("able", "", m), rule("ible", "", m), rule("ant", "", m),
                rule("ement", "", m), rule("ment", "", m), rule("ent", "", m),
                rule("ion", "", stem -> measure(stem) > 1 && (stem.endsWith("s") || stem.endsWith("t"))),
                rule("ou", "", m), rule("ism", "", m), rule("ate", "", m), rule("iti", "", m),
                rule("ous", "", m), rule("ive", "", m), rule("ize", "", m));
    }

    private static String step5a(String word) {
        if (word.endsWith("e")) {
            String stem = word.substring(0, word.length() - 1);
            int m = measure(stem);
            if (m > 1 || (m == 1 && !endsCvc(stem))) {
                return stem;
            }
        }
        return word;
    }

    private static String step5b(String word) {
        if (word.endsWith("ll") && measure(word.substring(0, word.length() - 1)) > 1) {
            return word.substring(0, word.length() - 1);
        }
        return word;
    }
}
