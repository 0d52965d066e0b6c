/** Shared by the text-metric evaluators: generating predictions and metrics recomputed on resamples. */
package io.finetune4j.eval.generation;
