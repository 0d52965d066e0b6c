package io.finetune4j.runtime.model.family;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.runtime.model.family.gpt2.Gpt2Family;
import io.finetune4j.runtime.model.family.llama.LlamaFamily;
import io.finetune4j.runtime.model.family.qwen3.Qwen3Family;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The model families this runtime runs, one line each. The order fixes the order of the merged PEFT
 * defaults ({@link #peftDefaults()}), which plugins show as their defaults: append new families.
 */
@Stable
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(
            new LlamaFamily(),
            new Gpt2Family(),
            new Qwen3Family());

    private ModelFamilies() {}

    /** Every supported {@code model_type}, sorted. */
    public static List<String> modelTypes() {
        return FAMILIES.stream().flatMap(family -> family.modelTypes().stream()).sorted().toList();
    }

    /** True when a family runs {@code modelType}. */
    public static boolean supports(String modelType) {
        return FAMILIES.stream().anyMatch(family -> family.modelTypes().contains(modelType));
    }

    /** The family that runs {@code modelType}, if any. */
    public static Optional<ModelFamily> find(String modelType) {
        return FAMILIES.stream().filter(family -> family.modelTypes().contains(modelType)).findFirst();
    }

    /** PEFT's default targets of {@code modelType} ({@code model_type}-specific), if the runtime runs it. */
    public static Optional<PeftTargets> peftTargets(String modelType) {
        return find(modelType).map(family -> family.peftTargets(modelType));
    }

    /**
     * The family of {@code modelType}.
     *
     * @param source where the model_type came from, for the message
     * @throws ConfigException naming the supported model types
     */
    public static ModelFamily of(String modelType, String source) {
        return FAMILIES.stream().filter(family -> family.modelTypes().contains(modelType)).findFirst()
                .orElseThrow(() -> new ConfigException(source + ": model_type: '" + modelType
                        + "' is not supported; supported: " + modelTypes()));
    }

    /**
     * Every family's PEFT defaults in one value, families in registry order, duplicates dropped: a target
     * of one family may match nothing in a model of another, so one list serves every supported model.
     */
    public static PeftTargets peftDefaults() {
        return new PeftTargets(merged(PeftTargets::lora), merged(PeftTargets::ia3),
                merged(PeftTargets::ia3FeedForward), merged(PeftTargets::linearModules));
    }

    private static List<String> merged(Function<PeftTargets, List<String>> part) {
        Set<String> names = new LinkedHashSet<>();
        FAMILIES.forEach(family -> {
            names.addAll(part.apply(family.peftTargets()));
            family.modelTypes().forEach(type -> names.addAll(part.apply(family.peftTargets(type))));
        });
        return List.copyOf(names);
    }
}
