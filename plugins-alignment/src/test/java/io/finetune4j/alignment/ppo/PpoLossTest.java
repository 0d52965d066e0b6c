package io.finetune4j.alignment.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.alignment.rollout.TokenScores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PPO's losses and statistics on a [2, 3] batch whose third position of row 0 is padding holding absurd
 * values, against hand computations (TRL ppo_trainer.py's formulas) and the gradients they imply.
 */
class PpoLossTest {
    static final float[] MASK = {1, 1, 0, 1, 1, 1};
    static final float[] LOGP = {-1.0f, -0.5f, 9.0f, -2.0f, -0.1f, -0.3f};
    static final float[] OLD = {-1.3f, -0.5f, -7.0f, -1.9f, -0.4f, -0.3f};
    static final float[] ADV = {1.0f, -2.0f, 5.0f, -1.5f, -0.5f, 0.7f};
    static final float[] VALUES = {0.5f, 0.1f, 100f, 0.0f, 1.0f, -0.5f};
    static final float[] OLD_VALUES = {0.2f, 0.2f, 0f, 0.1f, 0.5f, -0.4f};
    static final float[] RETURNS = {1.0f, 0.0f, 0f, 0.5f, 0.2f, -1.0f};

    private NDManager manager;
    private NDArray logProbs;
    private NDArray values;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        logProbs = array(LOGP);
        values = array(VALUES);
        logProbs.setRequiresGradient(true);
        values.setRequiresGradient(true);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDArray array(float[] values) {
        return manager.create(values, new Shape(2, 3));
    }

    private PpoLoss.Result compute() {
        return PpoLoss.compute(logProbs, array(OLD), array(ADV), values, array(OLD_VALUES), array(RETURNS),
                array(MASK), 0.2, 0.2, 0.1);
    }

    @Test
    void clippedPolicyLossMatchesHandComputation() {
        double r = Math.exp(0.3);        // tokens (0,0) and (1,1)
        double q = Math.exp(-0.1);       // token (1,0)
        // (0,0) A=1: max(−r, −1.2) = −1.2 (clipped); (0,1) A=−2, ratio 1: 2; (1,0) A=−1.5: 1.5q (inside range);
        // (1,1) A=−0.5: max(0.5r, 0.6) = 0.5r; (1,2) A=0.7, ratio 1: −0.7. Padding (0,2) is ignored.
        double expected = (-1.2 + 2 + 1.5 * q + 0.5 * r - 0.7) / 5;

        PpoLoss.Result result = compute();

        assertThat((double) result.policyLoss().getFloat()).isCloseTo(expected, within(1e-6));
        assertThat((double) result.policyClipFraction().getFloat()).isCloseTo(1 / 5.0, within(1e-7));
        assertThat((double) result.approxKl().getFloat()).isCloseTo(0.5 * (0.09 + 0 + 0.01 + 0.09 + 0) / 5,
                within(1e-7));
        assertThat((double) result.meanRatio().getFloat()).isCloseTo((r + 1 + q + r + 1) / 5, within(1e-6));
    }

    @Test
    void clippedValueLossMatchesHandComputation() {
        // v_clip = clamp(v, old ± 0.2): (0,0) 0.4 → max(0.25, 0.36) = 0.36 (clipped); (0,1) 0.01;
        // (1,0) 0.25; (1,1) v_clip 0.7 → max(0.64, 0.25) = 0.64; (1,2) 0.25
        double valueLoss = 0.5 * (0.36 + 0.01 + 0.25 + 0.64 + 0.25) / 5;

        PpoLoss.Result result = compute();

        assertThat((double) result.valueLoss().getFloat()).isCloseTo(valueLoss, within(1e-6));
        assertThat((double) result.valueClipFraction().getFloat()).isCloseTo(1 / 5.0, within(1e-7));
        assertThat((double) result.loss().getFloat())
                .isCloseTo(result.policyLoss().getFloat() + 0.1 * valueLoss, within(1e-6));
    }

    @Test
    void gradientsVanishOnClippedTokensAndPadding() {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(compute().loss());
        }
        float[] policyGradient = logProbs.getGradient().toFloatArray();
        float[] valueGradient = values.getGradient().toFloatArray();

        // d/dlogp of −A·ratio/5 where the unclipped term is taken, else 0
        double[] expectedPolicy = new double[6];
        for (int i : new int[] {1, 3, 4, 5}) {
            expectedPolicy[i] = -ADV[i] * Math.exp(LOGP[i] - OLD[i]) / 5;
        }
        // d/dv of 0.1·0.5·(v − R)²/5 = 0.1·(v − R)/5 where the unclipped square is taken, else 0
        double[] expectedValue = new double[6];
        for (int i : new int[] {1, 3, 4, 5}) {
            expectedValue[i] = 0.1 * (VALUES[i] - RETURNS[i]) / 5;
        }
        for (int i = 0; i < 6; i++) {
            assertThat((double) policyGradient[i]).as("policy gradient %d", i).isCloseTo(expectedPolicy[i], within(1e-6));
            assertThat((double) valueGradient[i]).as("value gradient %d", i).isCloseTo(expectedValue[i], within(1e-6));
        }
    }

    @Test
    void aGarbageCollectionBetweenForwardAndBackwardChangesNothing() {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(compute().loss());
        }
        float[] expected = logProbs.getGradient().toFloatArray();
        logProbs.getGradient().subi(logProbs.getGradient());
        values.getGradient().subi(values.getGradient());

        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = compute().loss();
            System.gc();
            collector.backward(loss);
        }

        assertThat(logProbs.getGradient().toFloatArray()).containsExactly(expected);
    }

    @Test
    void entropyIsMinusSumPLogPOfTheTemperedDistribution() {
        NDArray logits = manager.create(new float[] {0, 1, 2, 0, 0, 0}, new Shape(1, 2, 3));

        float[] entropy = new TokenScores(logits, null, null).entropy().toFloatArray();

        double z = 1 + Math.E + Math.exp(2);
        double expected = 0;
        for (int k = 0; k < 3; k++) {
            double p = Math.exp(k) / z;
            expected -= p * Math.log(p);
        }
        assertThat((double) entropy[0]).isCloseTo(expected, within(1e-6));
        assertThat((double) entropy[1]).isCloseTo(Math.log(3), within(1e-6));
    }
}
