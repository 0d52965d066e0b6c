package io.finetune4j.api.method;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.Stable;
import java.util.Optional;

/**
 * Creates one adaptation method (LoRA, full fine-tuning, ...). Listed in
 * {@code META-INF/services/io.finetune4j.api.method.MethodProvider}.
 */
@Stable
public interface MethodProvider<C extends Record> extends PluginProvider<C> {
    /** Adapts {@code context.model()} (injects modules, marks parameters trainable) and returns the handle. */
    Method create(C config, MethodContext context);

    /**
     * The {@code peft_type} this method reads and writes in {@code adapter_config.json} (e.g. {@code LORA}),
     * so a saved adapter can be loaded by type; empty for methods without an adapter file.
     */
    default Optional<String> peftType() {
        return Optional.empty();
    }
}
