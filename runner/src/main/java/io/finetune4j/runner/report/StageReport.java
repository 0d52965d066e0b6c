package io.finetune4j.runner.report;

import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runtime.train.TrainingSummary;
import java.util.List;

/**
 * What the report needs of one finished stage.
 *
 * @param before evaluations of the stage's base model, before the method touched it
 * @param after evaluations of the trained model
 * @param baseSamples greedy generations of the stage's base model
 * @param trainedSamples greedy generations of the trained model, for the same prompts
 */
public record StageReport(StageSpec stage, TrainingSummary summary, List<MeasuredEvaluation> before,
                          List<MeasuredEvaluation> after, List<SampleGeneration> baseSamples,
                          List<SampleGeneration> trainedSamples) {
    public StageReport {
        before = List.copyOf(before);
        after = List.copyOf(after);
        baseSamples = List.copyOf(baseSamples);
        trainedSamples = List.copyOf(trainedSamples);
    }
}
