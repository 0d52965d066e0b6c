package io.finetune4j.peft.lora;

import static io.finetune4j.runtime.io.PeftAdapterDirectory.checkSame;
import static io.finetune4j.runtime.io.PeftAdapterDirectory.number;
import static io.finetune4j.runtime.io.PeftAdapterDirectory.unsetIfEmpty;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A LoRA adapter in Hugging Face PEFT's layout, so PEFT's {@code PeftModel.from_pretrained} reads what this
 * writes and the other way round: {@code adapter_config.json} (PEFT's keys, sorted as PEFT writes them) and
 * {@code adapter_model.safetensors} with float32 tensors named {@code base_model.model.<module>.lora_A.weight}
 * {@code [r, in]}, {@code ...lora_B.weight} {@code [out, r]}, DoRA's {@code ...lora_magnitude_vector}
 * {@code [out]}, trained biases ({@code ...<module>.base_layer.bias} for adapted layers,
 * {@code ...<module>.bias} otherwise) and modules to save ({@code base_model.model.<module>.weight}).
 */
final class LoraAdapterFiles {
    private LoraAdapterFiles() {}

    static void write(Path dir, LoraMethod method, String baseModelNameOrPath) {
        write(dir, method.config(), method.trainableParameters(), method.savedTargetModules(), method.fanInFanOut(),
                baseModelNameOrPath);
    }

    /** Writes one adapter: its settings, its parameters by saved name, and its recorded target modules. */
    static void write(Path dir, LoraConfig config, Map<String, NDArray> parameters, Object savedTargets,
                      boolean fanInFanOut, String baseModelNameOrPath) {
        Map<String, Object> json = PeftAdapterDirectory.commonConfig(LoraMethod.PEFT_TYPE, baseModelNameOrPath);
        Map<String, Object> alphaPattern = new LinkedHashMap<>();
        config.alphaPattern().forEach((key, value) -> alphaPattern.put(key, number(value)));
        json.put("alpha_pattern", alphaPattern);
        json.put("bias", config.bias());
        json.put("exclude_modules", unsetIfEmpty(config.excludeModules()));
        json.put("fan_in_fan_out", fanInFanOut);
        json.put("init_lora_weights", config.initLoraWeights());
        json.put("layers_pattern", unsetIfEmpty(config.layersPattern()));
        json.put("layers_to_transform", unsetIfEmpty(config.layersToTransform()));
        json.put("lora_alpha", number(config.loraAlpha()));
        json.put("lora_dropout", config.loraDropout());
        json.put("modules_to_save", unsetIfEmpty(config.modulesToSave()));
        json.put("r", config.r());
        json.put("rank_pattern", config.rankPattern());
        json.put("target_modules", savedTargets);
        json.put("use_dora", config.useDora());
        json.put("use_rslora", config.useRslora());
        PeftAdapterDirectory.write(dir, json, parameters);
    }

    /** Checks {@code dir}'s adapter against {@code method} and copies its tensors into the adapter arrays. */
    static void read(Path dir, LoraMethod method) {
        read(dir, method.config(), method.trainableParameters(), method.savedModules().keySet());
    }

    /**
     * Checks {@code dir}'s adapter against {@code config} and copies its tensors into {@code parameters}
     * (keyed by saved name); {@code savedModules} are the modules to save, for their older PEFT names.
     */
    static void read(Path dir, LoraConfig config, Map<String, NDArray> parameters, Set<String> savedModules) {
        Path configFile = PeftAdapterDirectory.configFile(dir);
        JsonNode json = PeftAdapterDirectory.readConfig(dir, LoraMethod.PEFT_TYPE);
        checkSame(configFile, "r", json.path("r").asDouble(Double.NaN), config.r());
        checkSame(configFile, "lora_alpha", json.path("lora_alpha").asDouble(Double.NaN), config.loraAlpha());
        // These change the function the same tensors compute, so a mismatch must not load silently.
        checkFlag(configFile, "use_dora", json.path("use_dora").asBoolean(false), config.useDora());
        checkFlag(configFile, "use_rslora", json.path("use_rslora").asBoolean(false), config.useRslora());
        checkPattern(configFile, "alpha_pattern", json.path("alpha_pattern"), config.alphaPattern());
        checkPattern(configFile, "rank_pattern", json.path("rank_pattern"), config.rankPattern());
        PeftAdapterDirectory.readTensors(dir, parameters, name -> aliases(name, savedModules), config.targetModules(),
                PeftAdapterDirectory.TensorFit.sameShape(""));
    }

    /**
     * The settings in {@code dir/adapter_config.json} (PEFT's keys; a key left out or null keeps
     * {@link LoraMethodProvider#defaults()}, keys LoRA does not use are ignored), validated as the
     * {@code lora} method validates a pipeline's settings.
     */
    static LoraConfig readConfig(Path dir) {
        Path file = PeftAdapterDirectory.configFile(dir);
        JsonNode json = PeftAdapterDirectory.readConfig(dir, LoraMethod.PEFT_TYPE);
        LoraMethodProvider provider = new LoraMethodProvider();
        LoraConfig defaults = provider.defaults();
        LoraConfig config;
        try {
            config = new LoraConfig(
                    json.hasNonNull("r") ? json.get("r").asInt() : defaults.r(),
                    json.hasNonNull("lora_alpha") ? json.get("lora_alpha").asDouble() : defaults.loraAlpha(),
                    json.hasNonNull("lora_dropout") ? json.get("lora_dropout").asDouble() : defaults.loraDropout(),
                    json.hasNonNull("target_modules") ? listOrString(json.get("target_modules")) : defaults.targetModules(),
                    json.hasNonNull("exclude_modules") ? listOrString(json.get("exclude_modules")) : defaults.excludeModules(),
                    json.hasNonNull("bias") ? json.get("bias").asText() : defaults.bias(),
                    json.path("use_rslora").asBoolean(defaults.useRslora()),
                    json.hasNonNull("init_lora_weights")
                            ? (json.get("init_lora_weights").isBoolean() ? (Object) json.get("init_lora_weights").asBoolean()
                            : json.get("init_lora_weights").asText()) : defaults.initLoraWeights(),
                    pattern(json.path("rank_pattern"), JsonNode::asInt),
                    pattern(json.path("alpha_pattern"), JsonNode::asDouble),
                    json.hasNonNull("layers_to_transform") ? ints(json.get("layers_to_transform")) : List.of(),
                    json.hasNonNull("layers_pattern") ? strings(json.get("layers_pattern")) : List.of(),
                    json.hasNonNull("modules_to_save") ? strings(json.get("modules_to_save")) : List.of(),
                    json.path("use_dora").asBoolean(defaults.useDora()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
        ConfigProblems problems = ConfigProblems.at(file.toString());
        provider.validate(config, problems);
        problems.throwIfAny();
        return config;
    }

    private static Object listOrString(JsonNode node) {
        return node.isTextual() ? node.asText() : strings(node);
    }

    private static List<String> strings(JsonNode node) {
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("expected a list of names, was " + node);
        }
        List<String> values = new ArrayList<>();
        node.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static List<Integer> ints(JsonNode node) {
        if (node.isInt()) {
            return List.of(node.asInt());
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("expected a list of layer indices, was " + node);
        }
        List<Integer> values = new ArrayList<>();
        node.forEach(value -> values.add(value.asInt()));
        return values;
    }

    private static <V> Map<String, V> pattern(JsonNode node, Function<JsonNode, V> value) {
        Map<String, V> values = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(entry -> values.put(entry.getKey(), value.apply(entry.getValue())));
        }
        return values;
    }

    /**
     * The names a tensor may have in a file: ours (PEFT's current names) first, then older PEFT spellings:
     * {@code lora_magnitude_vector.weight} (before PEFT 0.12 removed the suffix), a module to save under
     * {@code modules_to_save.default}, and an adapted layer's bias without {@code base_layer}.
     */
    private static List<String> aliases(String name, Set<String> savedModules) {
        List<String> aliases = new ArrayList<>(List.of(name));
        if (name.endsWith(".lora_magnitude_vector")) {
            aliases.add(name + ".weight");
        } else if (name.endsWith(".base_layer.bias")) {
            aliases.add(name.substring(0, name.length() - ".base_layer.bias".length()) + ".bias");
        } else {
            String module = name.substring(LoraMethod.PREFIX.length(), name.lastIndexOf('.'));
            if (savedModules.contains(module)) {
                aliases.add(LoraMethod.PREFIX + module + ".modules_to_save.default" + name.substring(name.lastIndexOf('.')));
            }
        }
        return aliases;
    }

    private static void checkFlag(Path file, String key, boolean saved, boolean expected) {
        if (saved != expected) {
            throw PeftAdapterDirectory.mismatch(file, key, saved, expected);
        }
    }

    private static void checkPattern(Path file, String key, JsonNode saved, Map<String, ? extends Number> expected) {
        Map<String, Double> savedValues = new TreeMap<>();
        if (saved.isObject()) {
            saved.fields().forEachRemaining(entry -> savedValues.put(entry.getKey(), entry.getValue().asDouble()));
        }
        Map<String, Double> expectedValues = new TreeMap<>();
        expected.forEach((name, value) -> expectedValues.put(name, value.doubleValue()));
        if (!savedValues.equals(expectedValues)) {
            throw PeftAdapterDirectory.mismatch(file, key, savedValues, expectedValues);
        }
    }

}
