/**
 * The training loop shared by every method and objective: {@link io.finetune4j.runtime.train.Trainer},
 * {@link io.finetune4j.runtime.train.AdamW}, learning-rate schedules, gradient accumulation and clipping,
 * and the metrics log ({@link io.finetune4j.runtime.train.JsonlMetricsSink}).
 */
package io.finetune4j.runtime.train;
