package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Resolves {@code target_modules} against a model's linear layers with PEFT's rules
 * ({@code peft.tuners.tuners_utils.check_target_module_exists} for a list, and
 * {@code _maybe_include_all_linear_layers} for {@code all-linear}).
 */
public final class TargetModules {
    /** The value that selects every linear layer but the output layer. */
    public static final String ALL_LINEAR = "all-linear";

    /**
     * Linear-layer names of the supported architectures (Llama, Mistral, Qwen2 and GPT-2). A target among
     * them may match nothing in a model of another family, so one list can serve every family.
     */
    public static final Set<String> KNOWN_MODULES = Set.of(
            "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
            "c_attn", "c_proj", "c_fc");

    private static final String OUTPUT_LAYER = "lm_head";

    /**
     * @param modules names of the model's linear layers, in model order
     * @param targets the config's entries, already validated (non-empty; {@code all-linear} alone)
     * @param matchedTargets receives the entries that matched something (PEFT saves them), in config order
     * @return the names of the modules to adapt, in model order
     */
    public static List<String> resolve(List<String> modules, List<String> targets, Set<String> matchedTargets) {
        if (targets.equals(List.of(ALL_LINEAR))) {
            List<String> selected = modules.stream().filter(name -> !lastPart(name).equals(OUTPUT_LAYER)).toList();
            selected.forEach(name -> matchedTargets.add(lastPart(name)));
            if (selected.isEmpty()) {
                throw new ConfigException("target_modules: 'all-linear' matches no module; the model has no"
                        + " linear layer but its output layer");
            }
            return selected;
        }
        List<String> selected = new ArrayList<>();
        for (String module : modules) {
            if (targets.stream().anyMatch(target -> matches(module, target))) {
                selected.add(module);
            }
        }
        for (String target : targets) {
            boolean found = modules.stream().anyMatch(module -> matches(module, target));
            if (found) {
                matchedTargets.add(target);
            } else if (!KNOWN_MODULES.contains(target)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "target_modules: '%s' matches no module; modules are: %s", target, suffixes(modules)));
            }
        }
        if (selected.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "target_modules: %s match no module; modules are: %s", targets, suffixes(modules)));
        }
        return selected;
    }

    /** PEFT: the module is named exactly {@code target} or ends with {@code "." + target}. */
    static boolean matches(String module, String target) {
        return module.equals(target) || module.endsWith("." + target);
    }

    /** The distinct last name parts, in model order: {@code [q_proj, k_proj, ...]}. */
    static Set<String> suffixes(List<String> modules) {
        Set<String> suffixes = new LinkedHashSet<>();
        modules.forEach(name -> suffixes.add(lastPart(name)));
        return suffixes;
    }

    private static String lastPart(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** Sorted copy for adapter_config.json, which PEFT writes from a set. */
    static List<String> sorted(Set<String> targets) {
        return List.copyOf(new TreeSet<>(targets));
    }

    private TargetModules() {}
}
