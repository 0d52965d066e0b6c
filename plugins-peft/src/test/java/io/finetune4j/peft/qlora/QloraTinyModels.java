package io.finetune4j.peft.qlora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.model.ModelFactory;

/** Tiny random models (hidden 8, vocab 16) for the QLoRA tests; Llama's head is untied, GPT-2's tied. */
final class QloraTinyModels {
    static final int VOCAB = 16;
    static final long[] IDS = {1, 5, 9, 3, 14, 2, 7, 0, 11, 4, 6, 15};

    private QloraTinyModels() {}

    static CausalLM llama(long seed) {
        return ModelFactory.random(ModelFactory.llamaConfig(VOCAB, 8, 2, 2, 1, 16, 32), null, null, seed, Device.cpu());
    }

    static CausalLM gpt2(long seed) {
        return ModelFactory.random(ModelFactory.gpt2Config(VOCAB, 8, 2, 2, 32), null, null, seed, Device.cpu());
    }

    /** Logits {@code [2, 6, vocab]} for two rows of {@link #IDS}, flattened. */
    static float[] logits(CausalLM model) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray ids = step.create(IDS, new Shape(2, 6));
            return model.forward(ForwardInput.of(ids)).logits().toFloatArray();
        }
    }

    record Context(CausalLM model, long seed) implements MethodContext {}
}
