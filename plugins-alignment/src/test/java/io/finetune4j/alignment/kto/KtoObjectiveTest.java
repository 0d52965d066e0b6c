package io.finetune4j.alignment.kto;

import static io.finetune4j.alignment.preference.PreferenceTestModel.completionLogProb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KTO against TRL v1.9's {@code KTOTrainer._compute_loss} ({@code trl/trainer/kto_trainer.py}) by hand: sequences
 * built here from the tokenizer, log-probs scored one sequence at a time, the KL baseline from completions
 * rotated by one within the batch ({@code KL_completion_ids = [c[-1]] + c[:-1]}).
 */
class KtoObjectiveTest {
    static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green."},
            new String[] {"Q: 2+2?\nA:", " 4.", " five"});
    // unpaired as TRL's unpair_preference_dataset: (prompt, completion, label)
    static final String[][] UNPAIRED = {
            {"Q: sky?\nA:", " blue.", "true"}, {"Q: sky?\nA:", " green.", "false"},
            {"Q: 2+2?\nA:", " 4.", "true"}, {"Q: 2+2?\nA:", " five", "false"}};

    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("policy"), 5);
        lm.addShiftAdapters(11);   // the policy differs from its adapters-disabled reference
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    private KtoObjective objective(KtoConfig config) {
        return (KtoObjective) new KtoObjectiveProvider().create(config, lm.context(64, DATA));
    }

    /** log π − log π_ref of prompt {@code p}'s tokens + completion {@code c}'s + EOS, the completion scored. */
    private double ratio(int p, int c) {
        long[] prompt = lm.tokenizer.encode(UNPAIRED[p][0], true);
        long[] completion = lm.tokenizer.encode(UNPAIRED[c][1], false);
        long[] ids = Arrays.copyOf(prompt, prompt.length + completion.length + 1);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        ids[ids.length - 1] = lm.id("</s>");
        boolean[] targets = new boolean[ids.length];
        Arrays.fill(targets, prompt.length, ids.length, true);
        double policy = completionLogProb(lm.model, ids, targets, false);
        try (AdapterScope off = lm.model.disableAdapters()) {
            return policy - completionLogProb(lm.model, ids, targets, false);
        }
    }

    private double expected(double beta, double desirableWeight, double undesirableWeight, boolean apoZero) {
        double kl = 0;
        for (int i = 0; i < 4; i++) {
            kl += ratio(i, (i + 3) % 4) / 4;
        }
        kl = Math.max(0, kl);
        double loss = 0;
        for (int i = 0; i < 4; i++) {
            boolean desirable = Boolean.parseBoolean(UNPAIRED[i][2]);
            double rho = ratio(i, i);
            double term = apoZero
                    ? (desirable ? 1 - sigmoid(beta * rho) : sigmoid(beta * rho))
                    : (desirable ? 1 - sigmoid(beta * (rho - kl)) : 1 - sigmoid(beta * (kl - rho)));
            loss += (desirable ? desirableWeight : undesirableWeight) * term / 4;
        }
        return loss;
    }

    @Test
    void preferenceRowsAreUnpairedIntoDesirableThenUndesirable() {
        KtoObjective objective = objective(new KtoConfig(0.1, "kto", 1, 1, "adapters-disabled", true));

        assertThat(objective.exampleCount()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            assertThat(objective.example(i).desirable()).isEqualTo(Boolean.parseBoolean(UNPAIRED[i][2]));
            assertThat(objective.example(i).completionIds()).containsExactly(
                    lm.tokenizer.encode(UNPAIRED[i][1], false));
        }
    }

    @Test
    void ktoLossWithWeightsAndTheMismatchedKlBaseline() {
        KtoObjective objective = objective(new KtoConfig(0.5, "kto", 1.3, 0.7, "adapters-disabled", true));
        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(List.of(0, 1, 2, 3), step);

            assertThat((double) result.loss().getFloat()).isCloseTo(expected(0.5, 1.3, 0.7, false), within(2e-5));
            double kl = 0;
            for (int i = 0; i < 4; i++) {
                kl += ratio(i, (i + 3) % 4) / 4;
            }
            assertThat(result.metrics().get("kl")).isCloseTo(Math.max(0, kl), within(2e-5));
            assertThat(result.metrics().get("rewards/chosen"))
                    .isCloseTo(0.5 * (ratio(0, 0) + ratio(2, 2)) / 2, within(2e-5));
            assertThat(result.metrics()).containsKeys("rewards/rejected", "rewards/margins", "logps/chosen",
                    "logps/rejected");
        }
    }

    @Test
    void apoZeroUnpairedNeedsNoKl() {
        KtoObjective objective = objective(new KtoConfig(0.5, "apo_zero_unpaired", 1, 1, "adapters-disabled", true));
        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(List.of(0, 1, 2, 3), step);

            assertThat((double) result.loss().getFloat()).isCloseTo(expected(0.5, 1, 1, true), within(2e-5));
            assertThat(result.metrics().get("kl")).isEqualTo(0.0);
        }
    }

    @Test
    void aMicroBatchOfOneCannotEstimateTheKl() {
        KtoObjective objective = objective(new KtoConfig(0.1, "kto", 1, 1, "adapters-disabled", true));
        try (NDManager step = lm.model.manager().newSubManager()) {
            assertThatThrownBy(() -> objective.compute(List.of(0), step))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("kto: batch_size must be > 1");
        }
    }
}
