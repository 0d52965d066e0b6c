package io.finetune4j.eval.rouge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Words from Porter's paper ("An algorithm for suffix stripping", 1980, the examples of each step) with their
 * final stems, each worked through every step by hand; plus NLTK_EXTENSIONS departures (irregular forms,
 * {@code dies -> die}, {@code bli -> ble}, y -> i only after a consonant).
 */
class PorterStemmerTest {
    @ParameterizedTest
    @CsvSource({
            "caresses,caress", "ponies,poni", "caress,caress", "cats,cat", "feed,feed", "agreed,agre",
            "plastered,plaster", "bled,bled", "motoring,motor", "sing,sing", "conflated,conflat",
            "troubled,troubl", "sized,size", "hopping,hop", "tanned,tan", "falling,fall", "hissing,hiss",
            "fizzed,fizz", "failing,fail", "filing,file", "happy,happi", "relational,relat",
            "conditional,condit", "rational,ration", "valenci,valenc", "hesitanci,hesit", "digitizer,digit",
            "conformabli,conform", "radicalli,radic", "differentli,differ", "vileli,vile",
            "analogousli,analog", "vietnamization,vietnam", "predication,predic", "operator,oper",
            "feudalism,feudal", "decisiveness,decis", "hopefulness,hope", "callousness,callous",
            "formaliti,formal", "sensitiviti,sensit", "sensibiliti,sensibl", "triplicate,triplic",
            "formative,form", "formalize,formal", "electriciti,electr", "electrical,electr", "hopeful,hope",
            "goodness,good", "revival,reviv", "allowance,allow", "inference,infer", "airliner,airlin",
            "gyroscopic,gyroscop", "adjustable,adjust", "defensible,defens", "irritant,irrit",
            "replacement,replac", "adjustment,adjust", "dependent,depend", "adoption,adopt",
            "homologou,homolog", "communism,commun", "activate,activ", "angulariti,angular",
            "homologous,homolog", "effective,effect", "bowdlerize,bowdler", "probate,probat", "rate,rate",
            "cease,ceas", "controll,control", "roll,roll", "generalizations,gener", "oscillators,oscil"})
    void stemsPortersExamples(String word, String stem) {
        assertThat(PorterStemmer.stem(word)).isEqualTo(stem);
    }

    @ParameterizedTest
    @CsvSource({"dying,die", "skies,sky", "news,news", "proceed,proceed", "dies,die", "spied,spi", "died,die",
            "enjoy,enjoy", "is,is", "Running,run"})
    void appliesNltkExtensions(String word, String stem) {
        assertThat(PorterStemmer.stem(word)).isEqualTo(stem);
    }

    @ParameterizedTest
    @CsvSource({"tr,0", "ee,0", "tree,0", "y,0", "by,0", "trouble,1", "oats,1", "trees,1", "ivy,1",
            "troubles,2", "private,2", "oaten,2", "orrery,2"})
    void measureCountsVowelConsonantSequences(String word, int m) {
        assertThat(PorterStemmer.measure(word)).isEqualTo(m);
    }
}
