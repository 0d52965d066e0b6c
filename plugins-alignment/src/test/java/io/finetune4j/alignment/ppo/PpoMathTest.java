package io.finetune4j.alignment.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PpoMathTest {
    @Test
    void gaeMatchesHandComputedValues() {
        // r = [0.1, -0.2, 1.0], V = [0.5, 0.4, 0.3], γ = 1, λ = 0.95, bootstrap 0 after the last token:
        // δ2 = 1.0 − 0.3 = 0.7             A2 = 0.7
        // δ1 = −0.2 + 0.3 − 0.4 = −0.3     A1 = −0.3 + 0.95·0.7 = 0.365
        // δ0 = 0.1 + 0.4 − 0.5 = 0         A0 = 0.95·0.365 = 0.34675
        double[][] gae = PpoMath.gae(new double[] {0.1, -0.2, 1.0}, new double[] {0.5, 0.4, 0.3}, 1.0, 0.95);

        assertThat(gae[0]).containsExactly(new double[] {0.34675, 0.365, 0.7}, within(1e-12));
        assertThat(gae[1]).containsExactly(new double[] {0.84675, 0.765, 1.0}, within(1e-12));
    }

    @Test
    void gaeDiscountsWithGamma() {
        // γ = 0.9, λ = 0.5: δ2 = 0.7, A2 = 0.7; δ1 = −0.2 + 0.27 − 0.4 = −0.33, A1 = −0.33 + 0.45·0.7 = −0.015;
        // δ0 = 0.1 + 0.36 − 0.5 = −0.04, A0 = −0.04 + 0.45·(−0.015) = −0.04675
        double[][] gae = PpoMath.gae(new double[] {0.1, -0.2, 1.0}, new double[] {0.5, 0.4, 0.3}, 0.9, 0.5);

        assertThat(gae[0]).containsExactly(new double[] {-0.04675, -0.015, 0.7}, within(1e-12));
    }

    @Test
    void klEstimatorsFollowSchulman() {
        double[] logProbs = {-1.0, -2.0};
        double[] reference = {-1.5, -1.0};
        // logr = ref − logp = [−0.5, 1.0]; k1 = −logr; k3 = e^logr − 1 − logr
        assertThat(PpoMath.kl(logProbs, reference, KlEstimator.K1)).containsExactly(new double[] {0.5, -1.0},
                within(1e-12));
        assertThat(PpoMath.kl(logProbs, reference, KlEstimator.K3)).containsExactly(
                new double[] {Math.exp(-0.5) - 1 + 0.5, Math.exp(1.0) - 1 - 1.0}, within(1e-12));
    }

    @Test
    void scoreLandsOnTheLastTokenAfterTheKlPenalty() {
        // TRL v1.9 (trl/experimental/ppo/ppo_trainer.py) adds the score at sequence_length + 1, sequence_length the
        // last response token that is not the pad token; with pad == EOS and a response "a b EOS" that is index 2,
        // the EOS, which is this response's last token here (the README documents the pad != EOS difference).
        double[] rewards = PpoMath.rewards(new double[] {0.5, -1.0, 2.0}, 0.1, 3.0);

        assertThat(rewards).containsExactly(new double[] {-0.05, 0.1, -0.2 + 3.0}, within(1e-12));
    }

    @Test
    void whiteningUsesEveryTokenOfEveryRowWithTheUnbiasedVariance() {
        double[][] rows = {{1, 2}, {3}, {6}};
        // mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14/3
        double scale = 1 / Math.sqrt(14.0 / 3 + 1e-8);

        double[][] whitened = PpoMath.whiten(rows, true);
        double[][] kept = PpoMath.whiten(rows, false);

        assertThat(whitened[0]).containsExactly(new double[] {-2 * scale, -scale}, within(1e-12));
        assertThat(whitened[1]).containsExactly(new double[] {0}, within(1e-12));
        assertThat(whitened[2]).containsExactly(new double[] {3 * scale}, within(1e-12));
        assertThat(kept[2]).containsExactly(new double[] {3 * scale + 3}, within(1e-12));
    }

    @Test
    void adaptiveKlControllerFollowsZieglerEtAl() {
        KlController controller = new KlController(0.2, true, 6.0, 10000);

        controller.update(9.0, 64);      // error clipped to +0.2: × (1 + 0.2·64/10000)
        double afterHigh = 0.2 * (1 + 0.2 * 64 / 10000.0);
        assertThat(controller.value()).isCloseTo(afterHigh, within(1e-15));

        controller.update(5.4, 100);     // error 5.4/6 − 1 = −0.1: × (1 − 0.1·100/10000)
        assertThat(controller.value()).isCloseTo(afterHigh * (1 - 0.1 * 100 / 10000.0), within(1e-15));
    }

    @Test
    void fixedKlControllerNeverMoves() {
        KlController controller = new KlController(0.05, false, 6.0, 10000);

        controller.update(100.0, 64);

        assertThat(controller.value()).isEqualTo(0.05);
    }
}
