package io.finetune4j.api.method;

import io.finetune4j.api.Stable;
import java.nio.file.Path;
import java.util.List;

/**
 * Several named adapters of one method over one copy of the base weights, as PEFT's {@code PeftModel}
 * manages them ({@code load_adapter}, {@code set_adapter}, {@code add_weighted_adapter},
 * {@code delete_adapter}). A method offers this through {@link Method#namedAdapters()}; disabling every
 * adapter is {@link io.finetune4j.api.model.CausalLM#disableAdapters()}.
 */
@Stable
public interface NamedAdapters {
    /** Every loaded adapter, in load order. */
    List<String> adapterNames();

    /** The adapters that apply to the forward, in order. */
    List<String> activeAdapters();

    /** Loads an adapter saved in PEFT's layout under {@code name}; it does not become active. */
    void loadAdapter(Path dir, String name);

    /** Makes exactly these adapters apply. */
    void setActiveAdapters(List<String> names);

    /**
     * Adds adapter {@code newName} made from {@code names} with {@code weights} (PEFT's
     * {@code add_weighted_adapter}); {@code combinationType} is the method's, e.g. {@code linear}, {@code cat}
     * or {@code svd} for LoRA. The new adapter is not active.
     */
    void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String combinationType);

    /**
     * As {@link #addWeightedAdapter(List, List, String, String)}, with PEFT's pruning settings of the
     * {@code ties}, {@code dare_*} and {@code magnitude_prune} types: {@code density} (the fraction of entries
     * kept) and {@code majoritySignMethod} ({@code total} or {@code frequency}); null leaves a setting at the
     * method's default. A method without such types refuses any setting given.
     */
    default void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String combinationType,
                                    Double density, String majoritySignMethod) {
        if (density != null || majoritySignMethod != null) {
            throw new io.finetune4j.api.ConfigException("combination type '" + combinationType + "' of this method "
                    + "takes no density or majority_sign_method");
        }
        addWeightedAdapter(names, weights, newName, combinationType);
    }

    /** Removes an adapter and frees its weights. */
    void deleteAdapter(String name);
}
