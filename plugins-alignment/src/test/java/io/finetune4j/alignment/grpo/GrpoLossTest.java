package io.finetune4j.alignment.grpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GRPO's per-token loss and its three reductions on a [2, 3] batch whose row 0 ends with one padding position
 * holding absurd values, against hand computations and a plain double loop of TRL's formulas.
 */
class GrpoLossTest {
    static final float[] MASK = {1, 1, 0, 1, 1, 1};
    static final float[] LOGP = {-1.0f, -0.5f, 9.0f, -2.0f, -0.1f, -0.3f};
    static final float[] OLD = {-1.3f, -0.5f, -7.0f, -1.9f, -0.4f, -0.3f};
    static final float[] REF = {-1.1f, -0.7f, 3.0f, -2.2f, -0.1f, -0.9f};
    static final float[] ADV = {1.5f, 1.5f, 1.5f, -0.5f, -0.5f, -0.5f};
    static final int MAX_LENGTH = 4;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDArray array(float[] values) {
        return manager.create(values, new Shape(2, 3));
    }

    private GrpoLoss.Result compute(float[] logProbs, double beta, GrpoLossType type) {
        return GrpoLoss.compute(array(logProbs), array(OLD), array(REF), array(ADV), array(MASK), 0.2, beta, type,
                MAX_LENGTH);
    }

    /** TRL's per-token loss, in doubles. */
    private static double perToken(int i, float[] logProbs, double beta) {
        double ratio = Math.exp(logProbs[i] - OLD[i]);
        double clipped = Math.max(0.8, Math.min(1.2, ratio));
        double loss = -Math.min(ratio * ADV[i], clipped * ADV[i]);
        double logr = REF[i] - logProbs[i];
        return loss + beta * (Math.exp(logr) - logr - 1);
    }

    @Test
    void withRatioOneAndNoKlEachReductionIsAWeightedMeanOfMinusTheAdvantages() {
        float[] atOld = OLD.clone();
        // per-token loss −A: row 0 has 2 tokens of −1.5, row 1 three of +0.5
        assertThat((double) compute(atOld, 0, GrpoLossType.GRPO).loss().getFloat())
                .isCloseTo((-1.5 + 0.5) / 2, within(1e-6));
        assertThat((double) compute(atOld, 0, GrpoLossType.BNPO).loss().getFloat())
                .isCloseTo((2 * -1.5 + 3 * 0.5) / 5, within(1e-6));
        assertThat((double) compute(atOld, 0, GrpoLossType.DR_GRPO).loss().getFloat())
                .isCloseTo((2 * -1.5 + 3 * 0.5) / (2.0 * MAX_LENGTH), within(1e-6));
    }

    @Test
    void reductionsMatchTrlsFormulasWithClippingAndKl() {
        double[] rows = new double[2];
        int[] counts = {2, 3};
        double total = 0;
        for (int i = 0; i < 6; i++) {
            if (MASK[i] == 1) {
                double loss = perToken(i, LOGP, 0.1);
                rows[i / 3] += loss;
                total += loss;
            }
        }

        assertThat((double) compute(LOGP, 0.1, GrpoLossType.GRPO).loss().getFloat())
                .isCloseTo((rows[0] / counts[0] + rows[1] / counts[1]) / 2, within(1e-5));
        assertThat((double) compute(LOGP, 0.1, GrpoLossType.BNPO).loss().getFloat())
                .isCloseTo(total / 5, within(1e-5));
        assertThat((double) compute(LOGP, 0.1, GrpoLossType.DR_GRPO).loss().getFloat())
                .isCloseTo(total / (2.0 * MAX_LENGTH), within(1e-5));
    }

    @Test
    void klIsTheK3EstimatorAveragedOverCompletionTokens() {
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            if (MASK[i] == 1) {
                double logr = REF[i] - LOGP[i];
                sum += Math.exp(logr) - logr - 1;
            }
        }

        assertThat((double) compute(LOGP, 0.1, GrpoLossType.GRPO).meanKl().getFloat()).isCloseTo(sum / 5, within(1e-6));
    }

    @Test
    void clipRatioCountsTokensClippedOnTheSideTheAdvantagePushes() {
        // ratios: (0,0) e^0.3 > 1.2 with A > 0: clipped; (0,1) 1; (1,0) e^−0.1 inside; (1,1) e^0.3 > 1.2 but
        // A < 0: not in the clipped region; (1,2) 1. Padding (0,2) is ignored.
        assertThat((double) compute(LOGP, 0.1, GrpoLossType.GRPO).clipRatio().getFloat())
                .isCloseTo(1 / 5.0, within(1e-7));
    }

    private GrpoLoss.Result compute(float[] logProbs, GrpoLoss.Settings settings) {
        return GrpoLoss.compute(array(logProbs), array(OLD), array(REF), array(ADV), array(MASK), settings);
    }

    /** TRL v1.9 loss_type="dapo": Σ L·m over the batch divided by the generation batch's token count. */
    @Test
    void dapoDividesTheTokenSumByTheGivenTokenCount() {
        double total = 0;
        for (int i = 0; i < 6; i++) {
            total += MASK[i] * perToken(i, LOGP, 0.1);
        }
        GrpoLoss.Settings settings = new GrpoLoss.Settings(0.2, 0.2, 0.1, false, GrpoLossType.DAPO, MAX_LENGTH, 7.5);

        assertThat((double) compute(LOGP, settings).loss().getFloat()).isCloseTo(total / 7.5, within(1e-5));
    }

    /** DAPO's clip-higher: the ratio is clamped to [1 − epsilon, 1 + epsilon_high]. */
    @Test
    void epsilonHighWidensOnlyTheUpperBound() {
        // (0,0): ratio e^0.3 ≈ 1.35 with A = 1.5 > 0 is clipped at 1 + 0.28, not 1.2
        double total = 0;
        for (int i = 0; i < 6; i++) {
            if (MASK[i] == 1) {
                double ratio = Math.exp(LOGP[i] - OLD[i]);
                double clipped = Math.max(1 - 0.2, Math.min(1 + 0.28, ratio));
                total += -Math.min(ratio * ADV[i], clipped * ADV[i]);
            }
        }
        GrpoLoss.Settings settings = new GrpoLoss.Settings(0.2, 0.28, 0, false, GrpoLossType.BNPO, MAX_LENGTH, 5);

        GrpoLoss.Result result = compute(LOGP, settings);
        assertThat((double) result.loss().getFloat()).isCloseTo(total / 5, within(1e-5));
        assertThat((double) result.clipRatio().getFloat()).isCloseTo(1 / 5.0, within(1e-7));
    }

    /** GSPO (importance_sampling_level="sequence"): one ratio per completion, exp of the mean log-ratio. */
    @Test
    void sequenceLevelRatioIsTheExpOfEachCompletionsMeanLogRatio() {
        int[] counts = {2, 3};
        double[] meanLogRatio = new double[2];
        for (int i = 0; i < 6; i++) {
            meanLogRatio[i / 3] += MASK[i] * (LOGP[i] - OLD[i]) / counts[i / 3];
        }
        double[] rows = new double[2];
        for (int i = 0; i < 6; i++) {
            if (MASK[i] == 1) {
                double ratio = Math.exp(meanLogRatio[i / 3]);
                double clipped = Math.max(1 - 0.05, Math.min(1 + 0.05, ratio));
                double logr = REF[i] - LOGP[i];
                rows[i / 3] += -Math.min(ratio * ADV[i], clipped * ADV[i]) + 0.1 * (Math.exp(logr) - logr - 1);
            }
        }
        GrpoLoss.Settings settings = new GrpoLoss.Settings(0.05, 0.05, 0.1, true, GrpoLossType.GRPO, MAX_LENGTH, 5);

        assertThat((double) compute(LOGP, settings).loss().getFloat())
                .isCloseTo((rows[0] / counts[0] + rows[1] / counts[1]) / 2, within(1e-5));
    }
}
