/**
 * What every tuner in plugins-peft shares, by composition: {@link io.finetune4j.peft.tuner.TunerLayers} (inject,
 * merge and unload, the unloaded guard) and {@link io.finetune4j.peft.tuner.WrapperLinear} (a wrapper layer
 * delegates everything but its forward to its base).
 */
package io.finetune4j.peft.tuner;
