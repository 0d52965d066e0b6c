package io.finetune4j.api.method;

import io.finetune4j.api.Stable;

/**
 * Where training is when a hook runs.
 *
 * @param step optimizer step, counted from 1
 * @param totalSteps the run's number of optimizer steps
 */
@Stable
public record StepInfo(int step, int totalSteps) {}
