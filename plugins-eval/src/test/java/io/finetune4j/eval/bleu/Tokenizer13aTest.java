package io.finetune4j.eval.bleu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cases worked out by hand (the apostrophe, 0x27, is in none of the symbol ranges, so it stays) from the four regular expressions of sacreBLEU's tokenizer_13a / tokenizer_re. */
class Tokenizer13aTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Hello, world!|Hello , world !",
            "The price is $3.50.|The price is $ 3.50 .",
            "pages 2-3|pages 2 - 3",
            "well-known|well-known",
            "1,000 people|1,000 people",
            "a<b and c>d|a < b and c > d",
            "&quot;hi&quot; &amp; bye|\" hi \" & bye",
            "it's|it's",
            "  many    spaces  |many spaces",
            "path/to (x)|path / to ( x )",
            "end.|end ."})
    void tokenizesLikeSacreBleu13a(String input, String expected) {
        assertThat(Tokenizer13a.tokenize(input)).isEqualTo(expected);
    }
}
