package io.finetune4j.runtime.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Checks the shared loss math against plain-Java double loops over the same numbers. */
class LossMathTest {
    private static final int BATCH = 2;
    private static final int POSITIONS = 3;
    private static final int VOCAB = 5;

    private final float[] logits = new float[BATCH * POSITIONS * VOCAB];
    private final long[] targets = {1, 4, 0, 3, 2, 2};
    private final float[] mask = {1, 0, 1, 1, 1, 0};

    LossMathTest() {
        Random random = new Random(7);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * 2);
        }
    }

    /** log softmax(logits[b, p])[targets[b, p]] in double precision. */
    private double logProb(int b, int p) {
        int base = (b * POSITIONS + p) * VOCAB;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < VOCAB; v++) {
            max = Math.max(max, logits[base + v]);
        }
        double sum = 0;
        for (int v = 0; v < VOCAB; v++) {
            sum += Math.exp(logits[base + v] - max);
        }
        return logits[base + (int) targets[b * POSITIONS + p]] - max - Math.log(sum);
    }

    private NDArray[] arrays(NDManager manager) {
        return new NDArray[] {
            manager.create(logits, new Shape(BATCH, POSITIONS, VOCAB)),
            manager.create(targets, new Shape(BATCH, POSITIONS)),
            manager.create(mask, new Shape(BATCH, POSITIONS))
        };
    }

    @Test
    void tokenLogProbsMatchLogSoftmaxGather() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] a = arrays(manager);
            float[] actual = LossMath.tokenLogProbs(a[0], a[1]).toFloatArray();

            for (int b = 0; b < BATCH; b++) {
                for (int p = 0; p < POSITIONS; p++) {
                    assertThat((double) actual[b * POSITIONS + p]).isCloseTo(logProb(b, p), within(1e-5));
                }
            }
        }
    }

    @Test
    void maskedMeanCrossEntropyIsMeanNllOverTargets() {
        double sum = 0;
        int count = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int p = 0; p < POSITIONS; p++) {
                if (mask[b * POSITIONS + p] == 1) {
                    sum -= logProb(b, p);
                    count++;
                }
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] a = arrays(manager);
            NDArray loss = LossMath.maskedMeanCrossEntropy(a[0], a[1], a[2]);

            assertThat(loss.getShape()).isEqualTo(new Shape());
            assertThat((double) loss.getFloat()).isCloseTo(sum / count, within(1e-5));
        }
    }

    @Test
    void sequenceSumsAndMeansPerRow() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] a = arrays(manager);
            NDArray logp = LossMath.tokenLogProbs(a[0], a[1]);
            float[] sums = LossMath.sequenceSums(logp, a[2]).toFloatArray();
            float[] means = LossMath.sequenceMeans(logp, a[2]).toFloatArray();

            assertThat((double) sums[0]).isCloseTo(logProb(0, 0) + logProb(0, 2), within(1e-5));
            assertThat((double) sums[1]).isCloseTo(logProb(1, 0) + logProb(1, 1), within(1e-5));
            assertThat((double) means[0]).isCloseTo((logProb(0, 0) + logProb(0, 2)) / 2, within(1e-5));
            assertThat((double) means[1]).isCloseTo((logProb(1, 0) + logProb(1, 1)) / 2, within(1e-5));
        }
    }

    @Test
    void gradientOfCrossEntropyIsSoftmaxMinusOneHotOverCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] a = arrays(manager);
            a[0].setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = LossMath.maskedMeanCrossEntropy(a[0], a[1], a[2]);
                System.gc(); // a freed autograd scalar would show up as garbage here (STACK.md)
                collector.backward(loss);
            }
            float[] grad = a[0].getGradient().toFloatArray();
            for (int b = 0; b < BATCH; b++) {
                for (int p = 0; p < POSITIONS; p++) {
                    int base = (b * POSITIONS + p) * VOCAB;
                    // log Σ exp(logits) = logit[target] - log p(target)
                    double lse = logits[base + (int) targets[b * POSITIONS + p]] - logProb(b, p);
                    for (int v = 0; v < VOCAB; v++) {
                        double softmax = Math.exp(logits[base + v] - lse);
                        double onehot = v == targets[b * POSITIONS + p] ? 1 : 0;
                        double expected = mask[b * POSITIONS + p] * (softmax - onehot) / 4;
                        assertThat((double) grad[base + v]).isCloseTo(expected, within(1e-6));
                    }
                }
            }
        }
    }

    @Test
    void tokenAccuracyCountsArgmaxHitsUnderTheMask() {
        int hits = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int p = 0; p < POSITIONS; p++) {
                int base = (b * POSITIONS + p) * VOCAB;
                int best = 0;
                for (int v = 1; v < VOCAB; v++) {
                    if (logits[base + v] > logits[base + best]) {
                        best = v;
                    }
                }
                if (mask[b * POSITIONS + p] == 1 && best == targets[b * POSITIONS + p]) {
                    hits++;
                }
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] a = arrays(manager);

            assertThat((double) LossMath.tokenAccuracy(a[0], a[1], a[2]).getFloat())
                    .isCloseTo(hits / 4.0, within(1e-6));
        }
    }
}
