package io.finetune4j.alignment.dpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every DPO loss type against TRL v1.9's formula ({@code trl/trainer/dpo_trainer.py},
 * {@code DPOTrainer._compute_loss}) written out here in double precision, on fixed log-probs of three pairs.
 */
class DpoLossTypeTest {
    private static final double[] PC = {-5.0, -7.5, -3.2};   // policy chosen
    private static final double[] PR = {-6.1, -6.9, -4.0};   // policy rejected
    private static final double[] RC = {-5.5, -7.0, -3.0};   // reference chosen
    private static final double[] RR = {-5.8, -7.2, -4.4};   // reference rejected
    private static final double[] NC = {4, 6, 3};            // chosen completion tokens
    private static final double[] NR = {5, 3, 4};
    private static final double NLL = 1.3;
    private static final double BETA = 0.7;
    private static final double EPS = 0.1;
    private static final double TAU = 0.05;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    private static double c(int i) {
        return PC[i] - RC[i];
    }

    private static double r(int i) {
        return PR[i] - RR[i];
    }

    private static double x(int i) {
        return c(i) - r(i);
    }

    private NDArray array(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return manager.create(floats);
    }

    private DpoScores scores() {
        return new DpoScores(array(PC), array(PR), array(RC), array(RR), array(NC), array(NR),
                manager.create((float) NLL));
    }

    private static DpoConfig config(String type) {
        return new DpoConfig(BETA, List.of(type), List.of(), EPS, "adapters-disabled", false, true, "keep_start",
                null, null, TAU);
    }

    private double loss(String type) {
        return DpoLossType.parse(type).losses(scores(), config(type)).mean().getFloat();
    }

    private static double mean(IntToDoubleFunction perPair) {
        return (perPair.applyAsDouble(0) + perPair.applyAsDouble(1) + perPair.applyAsDouble(2)) / 3;
    }

    private static double[] sorted(IntToDoubleFunction values) {
        double[] out = {values.applyAsDouble(0), values.applyAsDouble(1), values.applyAsDouble(2)};
        Arrays.sort(out);
        return out;
    }

    @Test
    void exoPairIsTheKlToTheSmoothedLabels() {
        double expected = mean(i -> {
            double z = BETA * x(i);
            return sigmoid(z) * (logSigmoid(z) - Math.log1p(-EPS)) + sigmoid(-z) * (logSigmoid(-z) - Math.log(EPS));
        });
        assertThat(loss("exo_pair")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void ncaPair() {
        double expected = mean(i -> -logSigmoid(BETA * c(i)) - 0.5 * logSigmoid(-BETA * c(i))
                - 0.5 * logSigmoid(-BETA * r(i)));
        assertThat(loss("nca_pair")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void bcoPair() {
        double expected = mean(i -> -logSigmoid(BETA * c(i)) - logSigmoid(-BETA * r(i)));
        assertThat(loss("bco_pair")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void sppoHard() {
        double expected = mean(i -> Math.pow(c(i) - 0.5 / BETA, 2) + Math.pow(r(i) + 0.5 / BETA, 2));
        assertThat(loss("sppo_hard")).isCloseTo(expected, within(1e-4));
    }

    @Test
    void aotSortsPolicyAndReferenceLogRatiosOverTheBatch() {
        double[] policy = sorted(i -> PC[i] - PR[i]);
        double[] reference = sorted(i -> RC[i] - RR[i]);
        double expected = mean(i -> {
            double d = BETA * (policy[i] - reference[i]);
            return -logSigmoid(d) * (1 - EPS) - logSigmoid(-d) * EPS;
        });
        assertThat(loss("aot")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void aotUnpairedSortsChosenAndRejectedLogRatios() {
        double[] chosen = sorted(DpoLossTypeTest::c);
        double[] rejected = sorted(DpoLossTypeTest::r);
        double expected = mean(i -> {
            double d = BETA * (chosen[i] - rejected[i]);
            return -logSigmoid(d) * (1 - EPS) - logSigmoid(-d) * EPS;
        });
        assertThat(loss("aot_unpaired")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void apoZeroAndApoDown() {
        assertThat(loss("apo_zero")).isCloseTo(mean(i -> 1 - sigmoid(BETA * c(i)) + sigmoid(BETA * r(i))),
                within(1e-5));
        assertThat(loss("apo_down")).isCloseTo(mean(i -> sigmoid(BETA * c(i)) + 1 - sigmoid(BETA * x(i))),
                within(1e-5));
    }

    @Test
    void discopopBlendsLogisticAndExponential() {
        double expected = mean(i -> {
            double z = BETA * x(i);
            double m = sigmoid(z / TAU);
            return -logSigmoid(z) * (1 - m) + Math.exp(-z) * m;
        });
        assertThat(loss("discopop")).isCloseTo(expected, within(1e-5));
    }

    @Test
    void sigmoidNormAndIpoUseLengthAveragedLogRatios() {
        assertThat(loss("sigmoid_norm")).isCloseTo(mean(i -> -logSigmoid(BETA * (c(i) / NC[i] - r(i) / NR[i]))),
                within(1e-5));
        assertThat(loss("ipo")).isCloseTo(mean(i -> Math.pow(c(i) / NC[i] - r(i) / NR[i] - 1 / (2 * BETA), 2)),
                within(1e-4));
    }

    @Test
    void sftIsTheChosenNll() {
        assertThat(loss("sft")).isCloseTo(NLL, within(1e-6));
    }

    @Test
    void sigmoidWithLabelSmoothingIsConservativeDpo() {
        // finetune4j keeps cDPO here (TRL < 0.29); TRL v1.9's sigmoid ignores label_smoothing.
        double expected = mean(i -> -logSigmoid(BETA * x(i)) * (1 - EPS) - logSigmoid(-BETA * x(i)) * EPS);
        assertThat(loss("sigmoid")).isCloseTo(expected, within(1e-5));
    }

    /** The sort in AOT must pass gradients back to the unsorted log-probs (torch.sort's values do). */
    @Test
    void aotPassesGradientsThroughTheSort() {
        NDArray policyChosen = array(PC);
        policyChosen.setRequiresGradient(true);
        DpoScores scores = new DpoScores(policyChosen, array(PR), array(RC), array(RR), array(NC), array(NR),
                manager.create((float) NLL));
        try (ai.djl.training.GradientCollector collector =
                     ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            collector.backward(DpoLossType.AOT.losses(scores, config("aot")).mean());
        }
        // d/dπ_c of mean −logσ(β·δ_k)(1−ε) − logσ(−β·δ_k)ε, where π_c[i] lands at its rank k in the sorted
        // policy log-ratios π_c − π_r
        double[] policy = sorted(i -> PC[i] - PR[i]);
        double[] reference = sorted(i -> RC[i] - RR[i]);
        float[] gradient = policyChosen.getGradient().toFloatArray();
        for (int i = 0; i < 3; i++) {
            double value = PC[i] - PR[i];
            int rank = Arrays.binarySearch(policy, value);
            double d = BETA * (policy[rank] - reference[rank]);
            double expected = (-(1 - EPS) * BETA * (1 - sigmoid(d)) + EPS * BETA * sigmoid(d)) / 3;
            assertThat((double) gradient[i]).as("pair %d", i).isCloseTo(expected, within(1e-5));
        }
    }
}
