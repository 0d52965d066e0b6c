package io.finetune4j.runtime.train;

import java.util.List;

/**
 * What one {@link Trainer#fit} did.
 *
 * @param stage the stage's name
 * @param steps optimizer steps taken
 * @param stepLosses loss of every optimizer step (mean over its micro-batches, regularization included)
 * @param logs the values of every logging step, in order; the last step is always logged
 * @param tokens tokens processed, as the objective counted them
 * @param seconds wall time of the training loop
 */
public record TrainingSummary(String stage, int steps, List<Double> stepLosses, List<StepLog> logs, long tokens,
                              double seconds) {
    public TrainingSummary {
        stepLosses = List.copyOf(stepLosses);
        logs = List.copyOf(logs);
    }

    /** The loss of the last logging window, or NaN when nothing was logged. */
    public double finalLoss() {
        return logs.isEmpty() ? Double.NaN : logs.get(logs.size() - 1).value("loss");
    }
}
