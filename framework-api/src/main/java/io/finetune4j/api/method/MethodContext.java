package io.finetune4j.api.method;

import io.finetune4j.api.Stable;
import io.finetune4j.api.model.CausalLM;

/** What a method is applied to. */
@Stable
public interface MethodContext {
    CausalLM model();

    /** Seed for initialisation (LoRA's A, dropout masks). */
    long seed();

    /** The name of the method's first adapter, for methods that hold several (PEFT's {@code adapter_name}). */
    default String adapterName() {
        return "default";
    }
}
