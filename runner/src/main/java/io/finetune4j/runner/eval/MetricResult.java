package io.finetune4j.runner.eval;

/** One metric of one evaluator run, with its bootstrap interval. */
public record MetricResult(String name, Interval interval, boolean higherIsBetter) {}
