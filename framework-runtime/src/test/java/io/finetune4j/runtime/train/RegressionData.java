package io.finetune4j.runtime.train;

import java.util.Random;

/** A small fixed linear-regression data set: {@code y = x·w* + b* + noise}, features in [-1, 1]. */
record RegressionData(double[][] x, double[] y) {
    static final double[] TRUE_WEIGHT = {1.5, -2.0, 0.5};
    static final double TRUE_BIAS = 0.3;

    static RegressionData generate(int examples, long seed) {
        Random random = new Random(seed);
        double[][] x = new double[examples][TRUE_WEIGHT.length];
        double[] y = new double[examples];
        for (int i = 0; i < examples; i++) {
            y[i] = TRUE_BIAS + 0.05 * random.nextGaussian();
            for (int j = 0; j < TRUE_WEIGHT.length; j++) {
                x[i][j] = 2 * random.nextDouble() - 1;
                y[i] += x[i][j] * TRUE_WEIGHT[j];
            }
        }
        return new RegressionData(x, y);
    }

    int size() {
        return y.length;
    }

    int features() {
        return TRUE_WEIGHT.length;
    }
}
