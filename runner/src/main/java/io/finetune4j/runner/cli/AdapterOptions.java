package io.finetune4j.runner.cli;

import io.finetune4j.runner.model.AdapterLoader;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The adapter flags {@code generate}, {@code score} and {@code eval} share: one adapter as before
 * ({@code --adapter DIR}), or several LoRA adapters on one copy of the base weights, as PEFT's
 * {@code PeftModel} holds them ({@code --adapter NAME=DIR} repeated, {@code --active NAME}), their weighted
 * combination ({@code --combine NAME=W,NAME=W}, {@code --combination}; PEFT's {@code add_weighted_adapter}),
 * or none ({@code --no-adapter}).
 */
public final class AdapterOptions {
    @Option(names = "--adapter", paramLabel = "[NAME=]DIR",
            description = "Adapter directory (PEFT layout) to apply. Repeat as NAME=DIR to load several LoRA "
                    + "adapters onto one copy of the base (the first applies unless --active or --combine).")
    List<String> adapters = new ArrayList<>();

    @Option(names = "--active", paramLabel = "NAME", description = "The loaded adapter that applies (default: the first).")
    String active;

    @Option(names = "--combine", paramLabel = "NAME=W,...",
            description = "Apply a weighted combination of the loaded adapters, e.g. a=0.7,b=0.3 "
                    + "(PEFT's add_weighted_adapter; weights may be negative).")
    String combine;

    @Option(names = "--combination", paramLabel = "TYPE",
            description = "How --combine combines: linear (equal ranks; A and B summed separately, as PEFT), "
                    + "cat (exactly the weighted sum of the updates), svd, or PEFT's pruning types ties, dare_linear, "
                    + "dare_ties, magnitude_prune and their _svd forms (default: linear).")
    String combination;

    @Option(names = "--density", paramLabel = "D",
            description = "Fraction of entries the pruning combination types keep (PEFT's density).")
    Double density;

    @Option(names = "--majority-sign-method", paramLabel = "total|frequency",
            description = "How the TIES types elect each entry's sign (PEFT's majority_sign_method; default total).")
    String majoritySignMethod;

    @Option(names = "--no-adapter", description = "Run the bare base model (every adapter disabled).")
    boolean noAdapter;

    /** The checked selection; a {@link io.finetune4j.api.ConfigException} names the flag at fault. */
    public AdapterLoader.Selection selection() {
        return AdapterLoader.Selection.parse(adapters, active, combine, combination, density, majoritySignMethod,
                noAdapter);
    }
}
