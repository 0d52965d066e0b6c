package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KlToBaseTest {
    // [batch 1, positions 3, vocab 4]; the middle position is not trained
    private static final float[] POLICY = {0.5f, -1f, 2f, 0f, 9f, 9f, -9f, 0f, 1f, 1.5f, -0.5f, 0.25f};
    private static final float[] BASE = {1f, 0f, 0.5f, -2f, 0f, 0f, 0f, 0f, -1f, 2f, 0f, 0.75f};
    private static final float[] MASK = {1f, 0f, 1f};
    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static double[] softmax(float[] logits, int row) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < 4; v++) {
            max = Math.max(max, logits[row * 4 + v]);
        }
        double sum = 0;
        double[] p = new double[4];
        for (int v = 0; v < 4; v++) {
            p[v] = Math.exp(logits[row * 4 + v] - max);
            sum += p[v];
        }
        for (int v = 0; v < 4; v++) {
            p[v] /= sum;
        }
        return p;
    }

    /** Σ_v p (log p − log q), averaged over the trained rows: KL(base ‖ policy) forward, KL(policy ‖ base) reverse. */
    private static double handKl(boolean reverse) {
        double total = 0;
        int count = 0;
        for (int row = 0; row < 3; row++) {
            if (MASK[row] == 0f) {
                continue;
            }
            double[] p = softmax(reverse ? POLICY : BASE, row);
            double[] q = softmax(reverse ? BASE : POLICY, row);
            for (int v = 0; v < 4; v++) {
                total += p[v] * (Math.log(p[v]) - Math.log(q[v]));
            }
            count++;
        }
        return total / count;
    }

    private float kl(boolean reverse, int chunk) {
        return KlToBase.mean(manager.create(POLICY, new Shape(1, 3, 4)), manager.create(BASE, new Shape(1, 3, 4)),
                manager.create(MASK, new Shape(1, 3)), reverse, chunk).getFloat();
    }

    @Test
    void forwardKlEqualsTheHandComputedKlOfBaseToPolicy() {
        assertThat((double) kl(false, 2048)).isCloseTo(handKl(false), within(1e-6));
    }

    @Test
    void reverseKlEqualsTheHandComputedKlOfPolicyToBase() {
        assertThat((double) kl(true, 2048)).isCloseTo(handKl(true), within(1e-6));
        assertThat(handKl(true)).isNotCloseTo(handKl(false), within(1e-3));
    }

    @Test
    void chunkingOverPositionsDoesNotChangeTheValue() {
        assertThat(kl(false, 1)).isCloseTo(kl(false, 2048), within(1e-6f));
        assertThat(kl(true, 1)).isCloseTo(kl(true, 2048), within(1e-6f));
    }

    @Test
    void noTrainedPositionGivesZero() {
        NDArray value = KlToBase.mean(manager.create(POLICY, new Shape(1, 3, 4)),
                manager.create(BASE, new Shape(1, 3, 4)), manager.zeros(new Shape(1, 3)), false, 2048);

        assertThat(value.getFloat()).isZero();
    }

    @Test
    void forwardKlGradientIsPolicyMinusBaseProbabilitiesOverTheTrainedCount() {
        NDArray policy = manager.create(POLICY, new Shape(1, 3, 4));
        policy.setRequiresGradient(true);
        float[] gradient;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray value = KlToBase.mean(policy, manager.create(BASE, new Shape(1, 3, 4)),
                    manager.create(MASK, new Shape(1, 3)), false, 1);
            collector.backward(value);
        }
        gradient = policy.getGradient().toFloatArray();
        for (int row = 0; row < 3; row++) {
            double[] p = softmax(POLICY, row);
            double[] b = softmax(BASE, row);
            for (int v = 0; v < 4; v++) {
                // ∂/∂z Σ b (log b − log softmax(z)) = softmax(z) − b, divided by the 2 trained rows
                double expected = MASK[row] == 0f ? 0 : (p[v] - b[v]) / 2;
                assertThat((double) gradient[row * 4 + v]).isCloseTo(expected, within(1e-6));
            }
        }
    }
}
