package io.finetune4j.runtime.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

/**
 * The whole training loop on {@link RegressionData} in plain double-precision Java, written from the
 * specifications (torch.optim.AdamW, clip_grad_norm_, Hugging Face schedules) without the main code:
 * the independent computation trainer tests compare against.
 */
final class ReferenceTraining {
    final double[] weight = RegressionMethod.INITIAL_WEIGHT.clone();
    double bias = RegressionMethod.INITIAL_BIAS;
    final List<Double> stepLosses = new ArrayList<>();
    final List<Double> gradNorms = new ArrayList<>();
    private final double[] mWeight = new double[weight.length];
    private final double[] vWeight = new double[weight.length];
    private double mBias;
    private double vBias;

    /**
     * @param multiplier learning-rate multiplier by step index (0 for the first step)
     * @param penalty λ of the method's λ·Σw² regularization
     */
    ReferenceTraining(RegressionData data, TrainingConfig config, double penalty, IntToDoubleFunction multiplier) {
        int n = data.size();
        int perStep = config.batchSize() * config.gradientAccumulationSteps();
        int stepsPerEpoch = (n + perStep - 1) / perStep;
        int total = config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * stepsPerEpoch;
        List<Integer> order = new ArrayList<>();
        for (int step = 1; step <= total; step++) {
            int epoch = (step - 1) / stepsPerEpoch;
            int inEpoch = (step - 1) % stepsPerEpoch;
            if (inEpoch == 0) {
                order.clear();
                for (int i = 0; i < n; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(config.seed() + epoch));
            }
            List<List<Integer>> microBatches = new ArrayList<>();
            int end = Math.min(n, (inEpoch + 1) * perStep);
            for (int from = inEpoch * perStep; from < end; from += config.batchSize()) {
                microBatches.add(order.subList(from, Math.min(end, from + config.batchSize())));
            }
            step(data, config, penalty, config.learningRate() * multiplier.applyAsDouble(step - 1), microBatches,
                    step);
        }
    }

    private void step(RegressionData data, TrainingConfig config, double penalty, double lr,
                      List<List<Integer>> microBatches, int t) {
        int features = weight.length;
        double[] gradWeight = new double[features];
        double gradBias = 0;
        double lossSum = 0;
        int count = microBatches.size();
        for (List<Integer> batch : microBatches) {
            double loss = 0;
            for (int example : batch) {
                double residual = bias - data.y()[example];
                for (int j = 0; j < features; j++) {
                    residual += data.x()[example][j] * RegressionMethod.SCALE[j] * weight[j];
                }
                loss += residual * residual / batch.size();
                for (int j = 0; j < features; j++) {
                    gradWeight[j] += 2 * residual * data.x()[example][j] * RegressionMethod.SCALE[j]
                            / batch.size() / count;
                }
                gradBias += 2 * residual / batch.size() / count;
            }
            for (int j = 0; j < features; j++) {
                loss += penalty * weight[j] * weight[j];
                gradWeight[j] += 2 * penalty * weight[j] / count;
            }
            lossSum += loss;
        }
        stepLosses.add(lossSum / count);

        double norm = gradBias * gradBias;
        for (double g : gradWeight) {
            norm += g * g;
        }
        norm = Math.sqrt(norm);
        gradNorms.add(norm);
        double clip = config.maxGradNorm() > 0 ? Math.min(1.0, config.maxGradNorm() / (norm + 1e-6)) : 1.0;

        double b1 = config.adamBeta1();
        double b2 = config.adamBeta2();
        double correction1 = 1 - Math.pow(b1, t);
        double correction2 = 1 - Math.pow(b2, t);
        for (int j = 0; j < features; j++) {
            double g = gradWeight[j] * clip;
            weight[j] *= 1 - lr * config.weightDecay(); // "linear.weight" decays
            mWeight[j] = b1 * mWeight[j] + (1 - b1) * g;
            vWeight[j] = b2 * vWeight[j] + (1 - b2) * g * g;
            weight[j] -= lr / correction1 * mWeight[j]
                    / (Math.sqrt(vWeight[j]) / Math.sqrt(correction2) + config.adamEpsilon());
        }
        double g = gradBias * clip; // "linear.bias" never decays
        mBias = b1 * mBias + (1 - b1) * g;
        vBias = b2 * vBias + (1 - b2) * g * g;
        bias -= lr / correction1 * mBias / (Math.sqrt(vBias) / Math.sqrt(correction2) + config.adamEpsilon());
    }
}
