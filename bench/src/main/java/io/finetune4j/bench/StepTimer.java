package io.finetune4j.bench;

import io.finetune4j.api.ProgressListener;

/**
 * Takes the time at the end of every optimizer step: the trainer reports a step's progress after its
 * optimizer update, so the gap between two reports is one full step (data, forward, backward, update).
 */
final class StepTimer implements ProgressListener {
    private final long[] ends;
    private int steps;

    StepTimer(int totalSteps) {
        this.ends = new long[totalSteps + 1];
    }

    @Override
    public void start(String task, long total) {
        ends[0] = System.nanoTime();
        steps = 0;
    }

    @Override
    public void advance(long count, String message) {
        for (long i = 0; i < count && steps + 1 < ends.length; i++) {
            ends[++steps] = System.nanoTime();
        }
    }

    @Override
    public void finish() {}

    /** Mean seconds per step over steps {@code first+1 .. last} (counted from 1). */
    double meanSeconds(int first, int last) {
        if (last > steps || first < 0 || last <= first) {
            throw new IllegalStateException("timed steps " + (first + 1) + ".." + last + " but " + steps + " ran");
        }
        return (ends[last] - ends[first]) / 1e9 / (last - first);
    }
}
