package io.finetune4j.runtime.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits on the CPU, in transformers' warper order: temperature,
 * top-k ({@code TopKLogitsWarper}), top-p ({@code TopPLogitsWarper}), then a draw from the softmax.
 */
final class Sampler {
    private final GenerationConfig config;
    private final SplittableRandom random;

    Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    long next(float[] logits) {
        if (config.temperature() == 0) {
            return argmax(logits);
        }
        double[] scores = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scores[i] = logits[i] / config.temperature();
        }
        if (config.topK() > 0 && config.topK() < scores.length) {
            topK(scores, config.topK());
        }
        if (config.topP() < 1) {
            topP(scores, config.topP());
        }
        return draw(softmax(scores));
    }

    /** The first index of the largest value, as torch.argmax. */
    static long argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Removes every score below the k-th largest (ties with it stay). */
    static void topK(double[] scores, int k) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double threshold = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) {
                scores[i] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Sorted ascending, removes tokens whose cumulative probability is at most {@code 1 - topP}, always
     * keeping the most likely one: the smallest most-likely set with probability at least topP survives.
     */
    static void topP(double[] scores, double topP) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b])); // stable, ascending
        double[] probs = softmax(scores);
        double cumulative = 0;
        for (int rank = 0; rank < order.length - 1; rank++) {
            cumulative += probs[order[rank]];
            if (cumulative <= 1 - topP) {
                scores[order[rank]] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double score : scores) {
            max = Math.max(max, score);
        }
        double[] probs = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            probs[i] = scores[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        return probs;
    }

    private long draw(double[] probs) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // rounding left u above the total: the last token with probability
    }
}
