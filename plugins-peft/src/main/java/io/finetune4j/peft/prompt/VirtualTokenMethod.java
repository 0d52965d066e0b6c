package io.finetune4j.peft.prompt;

import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.ForwardInput;

/**
 * A method whose virtual tokens ride on the forward input itself: prompt tuning's
 * {@link ForwardInput#prefixEmbeddings()} and prefix tuning's {@link ForwardInput#pastKeyValues()}. Created on a
 * model, the method registers {@link #prepare} with {@link io.finetune4j.api.model.CausalLM#addInputTransform},
 * so every forward of that model (objectives, evaluators, the generator) runs with the virtual tokens; nothing
 * needs to call {@link #prepare} itself.
 */
public interface VirtualTokenMethod extends Method {
    /**
     * {@code input} with the virtual tokens added, as PEFT's {@code PeftModelForCausalLM.forward} does; unchanged
     * while the model's adapters are disabled and when the input already continues a cache (a generation step
     * after the first, whose cache holds the virtual tokens). Idempotent: an input this method already prepared
     * is returned as it is.
     */
    ForwardInput prepare(ForwardInput input);
}
