package io.finetune4j.alignment.dpo;

import static io.finetune4j.alignment.preference.PreferenceTestModel.completionLogProb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DPO's TRL v1.9 options on a tiny model, each against log-probs scored one sequence at a time and combined by
 * the formula of {@code trl/trainer/dpo_trainer.py} ({@code DPOTrainer._compute_loss}): a weighted list of loss
 * types (MPO), {@code rpo_alpha}, LD-DPO's {@code ld_alpha}, and {@code disable_dropout}.
 */
class DpoObjectiveOptionsTest {
    @TempDir
    Path dir;

    private PreferenceTestModel lm;
    private Path reference;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("policy"), 5);
        reference = dir.resolve("reference-checkpoint");
        try (PreferenceTestModel other = new PreferenceTestModel(dir.resolve("reference"), 9)) {
            ModelLoader.save(other.model, reference);
        }
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    private DpoObjective objective(List<String> types, List<Double> weights, Double rpoAlpha, Double ldAlpha,
                                   boolean disableDropout) {
        DpoConfig config = new DpoConfig(0.5, types, weights, 0.0, reference.toString(), false, disableDropout,
                "keep_start", rpoAlpha, ldAlpha, 0.05);
        return (DpoObjective) new DpoObjectiveProvider().create(config, lm.context(64, DpoObjectiveTest.DATA));
    }

    private double loss(DpoObjective objective) {
        try (NDManager step = lm.model.manager().newSubManager()) {
            return objective.compute(List.of(0, 1, 2, 3), step).loss().getFloat();
        }
    }

    @Test
    void weightedLossListPlusRpoAlphaSumsEachMeanTimesItsWeight() {
        DpoObjective objective = objective(List.of("sigmoid", "bco_pair", "sft"), List.of(0.8, 0.2, 1.0), 0.5, null,
                true);
        double sigmoid = 0;
        double bco = 0;
        double chosenSum = 0;
        int chosenTokens = 0;
        try (CausalLM ref = ModelLoader.load(reference, lm.model.device())) {
            for (int i = 0; i < 4; i++) {
                PreferencePair pair = objective.pair(i);
                double c = completionLogProb(lm.model, pair.chosen(), false)
                        - completionLogProb(ref, pair.chosen(), false);
                double r = completionLogProb(lm.model, pair.rejected(), false)
                        - completionLogProb(ref, pair.rejected(), false);
                sigmoid += -logSigmoid(0.5 * (c - r)) / 4;
                bco += (-logSigmoid(0.5 * c) - logSigmoid(-0.5 * r)) / 4;
                chosenSum += completionLogProb(lm.model, pair.chosen(), false);
                chosenTokens += pair.chosen().targetCount();
            }
        }
        double nll = -chosenSum / chosenTokens;

        double expected = 0.8 * sigmoid + 0.2 * bco + 1.0 * nll + 0.5 * nll;
        assertThat(loss(objective)).isCloseTo(expected, within(2e-4));
        objective.save(dir.resolve("stage"));
    }

    /** LD-DPO: completion tokens past the pair's shorter completion count with weight α. */
    private static double desensitised(CausalLM model, TokenizedExample sequence, int shared, double alpha) {
        double[] logProbs = TokenScorer.logProbs(model, sequence.ids());
        boolean[] targets = sequence.targets();
        double sum = 0;
        int seen = 0;
        for (int t = 1; t < targets.length; t++) {
            if (targets[t]) {
                seen++;
                sum += (seen <= shared ? 1 : alpha) * logProbs[t];
            }
        }
        return sum;
    }

    @Test
    void ldAlphaDownWeightsTheLongerCompletionsTail() {
        double alpha = 0.3;
        DpoObjective objective = objective(List.of("sigmoid"), List.of(), null, alpha, true);
        double expected = 0;
        boolean someTail = false;
        try (CausalLM ref = ModelLoader.load(reference, lm.model.device())) {
            for (int i = 0; i < 4; i++) {
                PreferencePair pair = objective.pair(i);
                int shared = Math.min(pair.chosen().targetCount(), pair.rejected().targetCount());
                someTail |= pair.chosen().targetCount() != pair.rejected().targetCount();
                double c = desensitised(lm.model, pair.chosen(), shared, alpha)
                        - desensitised(ref, pair.chosen(), shared, alpha);
                double r = desensitised(lm.model, pair.rejected(), shared, alpha)
                        - desensitised(ref, pair.rejected(), shared, alpha);
                expected += -logSigmoid(0.5 * (c - r)) / 4;
            }
        }
        assertThat(someTail).as("the fixture has pairs of unequal completion lengths").isTrue();
        DpoObjective plain = objective(List.of("sigmoid"), List.of(), null, null, true);
        assertThat(loss(objective)).isCloseTo(expected, within(2e-4)).isNotCloseTo(loss(plain), within(1e-3));
        objective.save(dir.resolve("stage"));
        plain.save(dir.resolve("stage"));
    }

    @Test
    void disableDropoutScoresThePolicyInEvaluationMode() {
        lm.addTrainingOnlyDropout();
        double expected = 0;
        DpoObjective off = objective(List.of("sigmoid"), List.of(), null, null, true);
        for (int i = 0; i < 4; i++) {
            expected += completionLogProb(lm.model, off.pair(i).chosen(), false) / 4;   // training=false
        }
        DpoObjective on = objective(List.of("sigmoid"), List.of(), null, null, false);
        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep withoutDropout = off.compute(List.of(0, 1, 2, 3), step);
            ObjectiveStep withDropout = on.compute(List.of(0, 1, 2, 3), step);

            assertThat(withoutDropout.metrics().get("logps/chosen")).isCloseTo(expected, within(2e-4));
            assertThat(withDropout.metrics().get("logps/chosen")).isNotCloseTo(expected, within(1e-2));
        }
        off.save(dir.resolve("stage"));
        on.save(dir.resolve("stage"));
    }
}
