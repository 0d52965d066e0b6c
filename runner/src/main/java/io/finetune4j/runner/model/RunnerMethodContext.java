package io.finetune4j.runner.model;

import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;

/** The {@link MethodContext} the runner hands a method provider. */
public record RunnerMethodContext(CausalLM model, long seed, String adapterName) implements MethodContext {
    public RunnerMethodContext(CausalLM model, long seed) {
        this(model, seed, "default");
    }
}
