package io.finetune4j.alignment.orpo;

import static io.finetune4j.alignment.preference.PreferenceTestModel.completionLogProb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrpoObjectiveTest {
    static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green, of course"},
            new String[] {"Q: 2+2?\nA:", " 4.", " 5"},
            new String[] {"Q: snow?\nA:", " white.", " black"});

    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir, 5);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    @Test
    void lossIsChosenNllMinusBetaLogSigmoidOfTheLogOddsRatio() {
        double beta = 0.25;
        OrpoObjective objective = (OrpoObjective) new OrpoObjectiveProvider()
                .create(new OrpoConfig(beta, true), lm.context(64, DATA));
        // TRL v1.9 ORPOTrainer (trl/experimental/orpo/orpo_trainer.py) by hand: NLL = mean cross-entropy over
        // every non-pad token of the chosen sequences after the first, prompt included ("orpo chosen nll loss is
        // computed over the full prompt and response"); log_odds from length-averaged completion log-probs.
        double chosenSum = 0;
        int chosenTokens = 0;
        double ratioMean = 0;
        double logOddsMean = 0;
        double chosenRewardMean = 0;
        for (int i = 0; i < 3; i++) {
            PreferencePair pair = objective.pair(i);
            boolean[] everyToken = new boolean[pair.chosen().length()];
            java.util.Arrays.fill(everyToken, true);
            chosenSum += completionLogProb(lm.model, pair.chosen().ids(), everyToken, false);
            chosenTokens += pair.chosen().length() - 1;
            double c = completionLogProb(lm.model, pair.chosen(), true);
            double r = completionLogProb(lm.model, pair.rejected(), true);
            double logOdds = (c - r) - (Math.log1p(-Math.exp(c)) - Math.log1p(-Math.exp(r)));
            ratioMean += logSigmoid(logOdds) / 3;
            logOddsMean += logOdds / 3;
            chosenRewardMean += beta * c / 3;
        }
        double nll = -chosenSum / chosenTokens;

        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(List.of(0, 1, 2), step);

            assertThat((double) result.loss().getFloat()).isCloseTo(nll - beta * ratioMean, within(2e-4));
            assertThat(result.metrics().get("nll_loss")).isCloseTo(nll, within(2e-4));
            assertThat(result.metrics().get("log_odds_ratio")).isCloseTo(ratioMean, within(2e-4));
            assertThat(result.metrics().get("log_odds_chosen")).isCloseTo(logOddsMean, within(2e-4));
            assertThat(result.metrics().get("rewards/chosen")).isCloseTo(chosenRewardMean, within(2e-4));
            assertThat(result.metrics()).containsKeys("rewards/rejected", "rewards/accuracies", "rewards/margins",
                    "logps/chosen", "logps/rejected");
        }
    }
}
