package io.finetune4j.alignment.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each preference loss on a fixed batch of log-probs, against the papers' / TRL's formulas evaluated here
 * in plain double precision.
 */
class PreferenceLossTest {
    // Two pairs of summed completion log-probs: policy chosen/rejected, reference chosen/rejected.
    private static final double[] PC = {-4.0, -7.5};
    private static final double[] PR = {-6.0, -7.0};
    private static final double[] RC = {-5.0, -7.0};
    private static final double[] RR = {-5.5, -6.0};
    private static final double BETA = 0.5;
    private static final double EPS = 0.1;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray array(double... values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return manager.create(floats);
    }

    private NDArray logits() {
        return PreferenceLoss.dpoLogits(array(PC), array(PR), array(RC), array(RR));
    }

    private static double x(int i) {
        return (PC[i] - PR[i]) - (RC[i] - RR[i]);
    }

    private static double logSigmoid(double v) {
        return -Math.log(1 + Math.exp(-v));
    }

    private static double[] floats(NDArray array) {
        float[] values = array.toFloatArray();
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    @Test
    void dpoLogitsAreTheDifferenceOfLogRatios() {
        // pair 0: (−4 − −6) − (−5 − −5.5) = 2 − 0.5 = 1.5; pair 1: (−7.5 − −7) − (−7 − −6) = −0.5 + 1 = 0.5
        assertThat(floats(logits())).containsExactly(new double[] {1.5, 0.5}, within(1e-6));
    }

    @Test
    void sigmoidLossWithLabelSmoothing() {
        double[] actual = floats(PreferenceLoss.sigmoidLoss(logits(), BETA, EPS));
        for (int i = 0; i < 2; i++) {
            double expected = -logSigmoid(BETA * x(i)) * (1 - EPS) - logSigmoid(-BETA * x(i)) * EPS;
            assertThat(actual[i]).isCloseTo(expected, within(1e-6));
        }
        // pair 0 by hand: −logσ(0.75) = log(1 + e^−0.75) = 0.386870, −logσ(−0.75) = 0.386870 + 0.75
        assertThat(actual[0]).isCloseTo(0.9 * 0.386870 + 0.1 * 1.136870, within(1e-5));
    }

    @Test
    void sigmoidLossWithoutSmoothingIsMinusLogSigmoid() {
        double[] actual = floats(PreferenceLoss.sigmoidLoss(logits(), BETA, 0.0));
        assertThat(actual[1]).isCloseTo(Math.log(1 + Math.exp(-0.25)), within(1e-6));
    }

    @Test
    void robustLoss() {
        double[] actual = floats(PreferenceLoss.robustLoss(logits(), BETA, EPS));
        for (int i = 0; i < 2; i++) {
            double expected = (-logSigmoid(BETA * x(i)) * (1 - EPS) + logSigmoid(-BETA * x(i)) * EPS) / (1 - 2 * EPS);
            assertThat(actual[i]).isCloseTo(expected, within(1e-6));
        }
    }

    @Test
    void hingeLoss() {
        // relu(1 − 0.5·1.5) = 0.25; relu(1 − 0.5·0.5) = 0.75; and a large margin gives 0
        assertThat(floats(PreferenceLoss.hingeLoss(logits(), BETA))).containsExactly(new double[] {0.25, 0.75},
                within(1e-6));
        assertThat(floats(PreferenceLoss.hingeLoss(array(3.0), BETA))).containsExactly(new double[] {0.0},
                within(1e-7));
    }

    @Test
    void ipoLoss() {
        // (x − 1/(2β))² with 1/(2·0.5) = 1: (1.5 − 1)² = 0.25, (0.5 − 1)² = 0.25
        assertThat(floats(PreferenceLoss.ipoLoss(logits(), BETA))).containsExactly(new double[] {0.25, 0.25},
                within(1e-6));
        assertThat(floats(PreferenceLoss.ipoLoss(array(0.0), 0.1))).containsExactly(new double[] {25.0},
                within(1e-4));
    }

    @Test
    void logSigmoidIsStableForLargeArguments() {
        double[] actual = floats(PreferenceLoss.logSigmoid(array(-100, -3, 0, 3, 100)));
        assertThat(actual).containsExactly(new double[] {-100, logSigmoid(-3), Math.log(0.5), logSigmoid(3), 0},
                within(1e-5));
    }

    @Test
    void orpoLogOddsRatio() {
        double chosen = -0.4;
        double rejected = -1.3;
        double expected = (chosen - rejected) - (Math.log1p(-Math.exp(chosen)) - Math.log1p(-Math.exp(rejected)));

        double[] actual = floats(PreferenceLoss.logOddsRatio(array(chosen), array(rejected)));

        assertThat(actual[0]).isCloseTo(expected, within(1e-5));
    }

    @Test
    void bradleyTerryLossWithMargin() {
        double[] actual = floats(PreferenceLoss.bradleyTerryLoss(array(1.0, -0.5), array(0.2, 0.5), 0.3));

        assertThat(actual).containsExactly(new double[] {-logSigmoid(1.0 - 0.2 - 0.3), -logSigmoid(-0.5 - 0.5 - 0.3)},
                within(1e-6));
    }

    @Test
    void fractionGreaterCountsStrictWins() {
        assertThat(PreferenceLoss.fractionGreater(array(1, 2, 3, 4), array(0, 2, 5, 3))).isEqualTo(0.5);
    }
}
