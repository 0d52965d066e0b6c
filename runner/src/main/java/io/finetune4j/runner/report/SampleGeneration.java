package io.finetune4j.runner.report;

/**
 * A prompt from a stage's evaluation data and a model's greedy continuation of it.
 *
 * @param output the new tokens decoded without special tokens
 * @param stopReason {@code eos} or {@code length}, as the generator reported it
 */
public record SampleGeneration(String prompt, String output, String stopReason) {}
