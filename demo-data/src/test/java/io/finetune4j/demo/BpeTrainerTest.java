package io.finetune4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    // Pieces "hug", " hug", " pug", " pun", " bun", " hugs" (a space is spelled Ġ). Worked by hand:
    // 1. (u,g)=4 beats (h,u)=3                            -> "u g"
    // 2. (h,ug)=3 beats every pair seen twice             -> "h ug"
    // 3. (Ġ,hug)=(Ġ,p)=(u,n)=2: "u" sorts before "Ġ"      -> "u n"
    // 4. (Ġ,hug)=(Ġ,p)=2: "hug" sorts before "p"          -> "Ġ hug"
    // 5. (Ġ,p)=2, every other pair once                   -> "Ġ p"
    // 6. only pairs seen once: (b,un) has the first left  -> "b un"
    private static final List<String> CORPUS = List.of("hug hug pug pun bun hugs");

    @Test
    void learnsTheHandDerivedMergesAndStopsBelowMinFrequency() {
        assertThat(BpeTrainer.train(CORPUS, 100, 2)).containsExactly("u g", "h ug", "u n", "Ġ hug", "Ġ p");
    }

    @Test
    void breaksTiesBetweenRarePairsByTheirSpelling() {
        assertThat(BpeTrainer.train(CORPUS, 6, 1)).containsExactly("u g", "h ug", "u n", "Ġ hug", "Ġ p", "b un");
    }

    @Test
    void stopsAtTheRequestedNumberOfMerges() {
        assertThat(BpeTrainer.train(CORPUS, 2, 1)).containsExactly("u g", "h ug");
    }

    @Test
    void piecesAreCountedAcrossTexts() {
        // "ab" twice across two texts: one merge; " c" stays two symbols since it occurs once.
        assertThat(BpeTrainer.train(List.of("ab", "ab c"), 10, 2)).containsExactly("a b");
    }

    @Test
    void encoderAppliesMergesByRank() {
        ByteLevelBpe bpe = new ByteLevelBpe(BpeTrainer.train(CORPUS, 100, 2));

        // "hugs": h u g s -> h ug s -> hug s; " pun": Ġ p u n -> Ġ p un (rank 2 before rank 4) -> Ġp un
        assertThat(bpe.tokens("hugs pun")).containsExactly("hug", "s", "Ġp", "un");
        assertThat(ByteLevelBpe.decode(bpe.tokens("hugs pun"))).isEqualTo("hugs pun");
    }

    @Test
    void byteLevelSpellingFollowsGpt2() {
        assertThat(ByteLevel.spell(" a\n")).isEqualTo("ĠaĊ");
        assertThat(ByteLevel.preTokenize("Mila's cat  is 12!\n")).containsExactly("Mila", "'s", "Ġcat", "Ġ", "Ġis",
                "Ġ12", "!", "Ċ");
        assertThat(ByteLevel.unspell(ByteLevel.spell("é ☃"))).isEqualTo("é ☃");
    }
}
