package io.finetune4j.bench;

import io.finetune4j.api.ProgressListener;

/**
 * Takes the time at the end of every optimizer step: the trainer reports a step's progress after its
 * optimizer update, so the gap between two reports is one full step (data, forward, backward, update). It also
 * reads the process's resident set there ({@code VmRSS}), so a long run shows whether memory stays flat.
 */
final class StepTimer implements ProgressListener {
    private final long[] ends;
    private final long[] rss;
    private int steps;

    StepTimer(int totalSteps) {
        this.ends = new long[totalSteps + 1];
        this.rss = new long[totalSteps + 1];
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
            rss[steps] = PeakRss.currentBytes().orElse(-1);
        }
    }

    @Override
    public void finish() {}

    /** The resident set in MiB at the end of step {@code step} (counted from 1), or null when unknown. */
    Double rssMebibytes(int step) {
        return step < 1 || step > steps || rss[step] < 0 ? null : rss[step] / (1024.0 * 1024.0);
    }

    /** Mean seconds per step over steps {@code first+1 .. last} (counted from 1). */
    double meanSeconds(int first, int last) {
        if (last > steps || first < 0 || last <= first) {
            throw new IllegalStateException("timed steps " + (first + 1) + ".." + last + " but " + steps + " ran");
        }
        return (ends[last] - ends[first]) / 1e9 / (last - first);
    }
}
