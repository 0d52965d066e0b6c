package io.finetune4j.runtime.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The example indices of each optimizer step: every epoch shuffles {@code 0..exampleCount-1} with
 * {@code new Random(seed + epoch)} (epoch counted from 0), then cuts it into steps of
 * {@code batchSize × accumulation} examples, each split into micro-batches of {@code batchSize}. The
 * epoch's last step and its last micro-batch may be shorter; nothing is dropped. After the last step of an
 * epoch the next call starts the next epoch.
 */
final class BatchPlan {
    private final int exampleCount;
    private final int batchSize;
    private final int accumulation;
    private final long seed;
    private final int stepsPerEpoch;
    private List<Integer> order = List.of();
    private int epoch = -1;
    private int stepInEpoch;

    BatchPlan(int exampleCount, int batchSize, int accumulation, long seed) {
        this.exampleCount = exampleCount;
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.seed = seed;
        this.stepsPerEpoch = (int) ((exampleCount + (long) batchSize * accumulation - 1)
                / ((long) batchSize * accumulation));
        this.stepInEpoch = stepsPerEpoch;
    }

    /** The micro-batches of the next optimizer step. */
    List<List<Integer>> nextStep() {
        if (stepInEpoch == stepsPerEpoch) {
            epoch++;
            stepInEpoch = 0;
            List<Integer> shuffled = new ArrayList<>(exampleCount);
            for (int i = 0; i < exampleCount; i++) {
                shuffled.add(i);
            }
            Collections.shuffle(shuffled, new Random(seed + epoch));
            order = shuffled;
        }
        long start = (long) stepInEpoch * batchSize * accumulation;
        int end = (int) Math.min(exampleCount, start + (long) batchSize * accumulation);
        List<List<Integer>> microBatches = new ArrayList<>(accumulation);
        for (int from = (int) start; from < end; from += batchSize) {
            microBatches.add(List.copyOf(order.subList(from, Math.min(end, from + batchSize))));
        }
        stepInEpoch++;
        return microBatches;
    }

    /** Epochs done after the last {@link #nextStep()}, fractional (1.5 = halfway through the second). */
    double epochProgress() {
        return epoch + (double) stepInEpoch / stepsPerEpoch;
    }
}
