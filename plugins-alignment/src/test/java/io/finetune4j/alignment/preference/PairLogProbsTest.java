package io.finetune4j.alignment.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Completion log-probs of the concatenated forward against sequences scored one by one. */
class PairLogProbsTest {
    @TempDir
    Path dir;

    private PreferenceTestModel lm;
    private PreferenceTokenizer tokenizer;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir, 5);
        tokenizer = new PreferenceTokenizer(lm.tokenizer, 64, "dpo");
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private PreferencePair pair(String prompt, String chosen, String rejected) {
        return tokenizer.tokenize(new Example.Preference(prompt, chosen, rejected, new Source("t", 1)), "dpo");
    }

    @Test
    void sumsOnlyCompletionTokensOfEachHalf() {
        List<PreferencePair> pairs = List.of(pair("Q: hi\nA:", " yes", " no way"), pair("x", " a", " bb"));
        try (NDManager step = lm.model.manager().newSubManager()) {
            PairLogProbs logProbs = PairLogProbs.compute(lm.model, pairs, false, step);

            float[] chosen = logProbs.chosen().toFloatArray();
            float[] rejected = logProbs.rejected().toFloatArray();
            for (int i = 0; i < pairs.size(); i++) {
                assertThat((double) chosen[i]).isCloseTo(
                        PreferenceTestModel.completionLogProb(lm.model, pairs.get(i).chosen(), false), within(1e-4));
                assertThat((double) rejected[i]).isCloseTo(
                        PreferenceTestModel.completionLogProb(lm.model, pairs.get(i).rejected(), false), within(1e-4));
            }
            assertThat(logProbs.chosenCounts().toFloatArray()).containsExactly(5f, 3f);
            assertThat(logProbs.rejectedCounts().toFloatArray()).containsExactly(8f, 4f);
        }
    }

    @Test
    void promptTokensNeverCount() {
        // Perturbation: mark every token of the chosen sequence as a target; the sum must change, so the
        // prompt positions are really excluded in the objective's version (which matched the completion-only sum).
        PreferencePair pair = pair("some prompt", " c", " r");
        boolean[] everything = new boolean[pair.chosen().length()];
        java.util.Arrays.fill(everything, true);
        double allTokens = PreferenceTestModel.completionLogProb(lm.model, pair.chosen().ids(), everything, false);
        try (NDManager step = lm.model.manager().newSubManager()) {
            double computed = PairLogProbs.compute(lm.model, List.of(pair), false, step).chosen().getFloat();

            assertThat(computed).isCloseTo(PreferenceTestModel.completionLogProb(lm.model, pair.chosen(), false),
                    within(1e-4));
            assertThat(Math.abs(computed - allTokens)).isGreaterThan(1.0);
        }
    }

    @Test
    void paddingNeverCounts() {
        // The same pair alone and beside a much longer pair (so its rows are padded) gives the same log-probs.
        PreferencePair shortPair = pair("q", " a", " b");
        PreferencePair longPair = pair("a much longer prompt than the other", " a long answer", " another answer");
        try (NDManager step = lm.model.manager().newSubManager()) {
            PairLogProbs alone = PairLogProbs.compute(lm.model, List.of(shortPair), false, step);
            PairLogProbs padded = PairLogProbs.compute(lm.model, List.of(shortPair, longPair), false, step);

            assertThat(padded.chosen().toFloatArray()[0]).isCloseTo(alone.chosen().getFloat(), within(1e-4f));
            assertThat(padded.rejected().toFloatArray()[0]).isCloseTo(alone.rejected().getFloat(), within(1e-4f));
        }
    }

    @Test
    void averagedDividesByCompletionLength() {
        PreferencePair pair = pair("p", " abc", " d");
        try (NDManager step = lm.model.manager().newSubManager()) {
            PairLogProbs averaged = PairLogProbs.compute(lm.model, List.of(pair), false, step).averaged();

            assertThat((double) averaged.chosen().getFloat()).isCloseTo(
                    PreferenceTestModel.completionLogProb(lm.model, pair.chosen(), true), within(1e-4));
            assertThat((double) averaged.rejected().getFloat()).isCloseTo(
                    PreferenceTestModel.completionLogProb(lm.model, pair.rejected(), true), within(1e-4));
        }
    }
}
