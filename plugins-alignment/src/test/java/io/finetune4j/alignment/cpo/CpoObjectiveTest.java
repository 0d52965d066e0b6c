package io.finetune4j.alignment.cpo;

import static io.finetune4j.alignment.preference.PreferenceTestModel.completionLogProb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPO and SimPO against TRL v1.9's {@code CPOTrainer.cpo_loss} and {@code concatenated_forward}
 * ({@code trl/experimental/cpo/cpo_trainer.py}) by hand, on log-probs scored one sequence at a time.
 */
class CpoObjectiveTest {
    static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green, of course"},
            new String[] {"Q: 2+2?\nA:", " 4.", " five"},
            new String[] {"Q: snow?\nA:", " white.", " black"});

    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("policy"), 5);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    private double loss(ObjectiveProvider<CpoConfig> provider, CpoConfig config) {
        CpoObjective objective = (CpoObjective) provider.create(config, lm.context(64, DATA));
        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(List.of(0, 1, 2), step);
            assertThat(result.metrics()).containsKeys("rewards/chosen", "rewards/rejected", "rewards/accuracies",
                    "rewards/margins", "logps/chosen", "logps/rejected", "nll_loss");
            return result.loss().getFloat();
        }
    }

    private PreferencePair pair(int i) {
        CpoObjective objective = (CpoObjective) new CpoObjectiveProvider()
                .create(new CpoObjectiveProvider().defaults(), lm.context(64, DATA));
        return objective.pair(i);
    }

    private double chosenNll() {
        double sum = 0;
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            sum += completionLogProb(lm.model, pair(i).chosen(), false);
            tokens += pair(i).chosen().targetCount();
        }
        return -sum / tokens;
    }

    @Test
    void cpoIsLabelSmoothedSigmoidOnSummedLogProbsPlusAlphaTimesTheChosenNll() {
        double beta = 0.2;
        double eps = 0.1;
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double x = completionLogProb(lm.model, pair(i).chosen(), false)
                    - completionLogProb(lm.model, pair(i).rejected(), false);
            expected += (-logSigmoid(beta * x) * (1 - eps) - logSigmoid(-beta * x) * eps) / 3;
        }
        expected += 0.7 * chosenNll();

        assertThat(loss(new CpoObjectiveProvider(), new CpoConfig(beta, eps, "sigmoid", 0.7, 0.5, true)))
                .isCloseTo(expected, within(2e-4));
    }

    /** SimPO eq. 6: −logσ(β/|y_c|·log π(y_c) − β/|y_r|·log π(y_r) − γ); TRL: cpo_alpha 0. */
    @Test
    void simpoIsTheLengthNormalisedMarginLoss() {
        double beta = 2.0;
        double gamma = 1.0;
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double chosen = completionLogProb(lm.model, pair(i).chosen(), true);
            double rejected = completionLogProb(lm.model, pair(i).rejected(), true);
            expected += -logSigmoid(beta * chosen - beta * rejected - gamma) / 3;
        }
        SimpoObjectiveProvider simpo = new SimpoObjectiveProvider();
        CpoConfig defaults = simpo.defaults();
        assertThat(defaults.lossType()).isEqualTo("simpo");
        assertThat(defaults.cpoAlpha()).isEqualTo(0.0);

        assertThat(loss(simpo, new CpoConfig(beta, 0, "simpo", 0, gamma, true))).isCloseTo(expected, within(2e-4));
    }

    @Test
    void cpoDefaultsAreTrlV19sAndBadFieldsAreNamed() {
        assertThat(new CpoObjectiveProvider().defaults()).isEqualTo(new CpoConfig(0.1, 0.0, "sigmoid", 1.0, 0.5, true));
        ConfigProblems problems = ConfigProblems.at("stages[0].objective");

        new SimpoObjectiveProvider().validate(new CpoConfig(0, 0.5, "orpo", -1, Double.NaN, true), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[0].objective.beta: must be > 0, was 0.0",
                "stages[0].objective.label_smoothing: must be in [0, 0.5), was 0.5",
                "stages[0].objective.loss_type: must be one of [sigmoid, hinge, ipo, simpo], was 'orpo'",
                "stages[0].objective.cpo_alpha: must be >= 0, was -1.0",
                "stages[0].objective.simpo_gamma: must be a finite number, was NaN");
    }
}
