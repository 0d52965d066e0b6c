package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves {@code target_modules} against a model's linear layers with PEFT's rules
 * ({@code peft.tuners.tuners_utils.check_target_module_exists}: a list matches names or suffixes, a string is
 * a full-match regex; {@code _maybe_include_all_linear_layers} for {@code all-linear}), then applies
 * {@code layers_to_transform}, {@code exclude_modules} and {@code modules_to_save} as PEFT does.
 */
public final class TargetModules {
    /** The value that selects every linear layer but the output layer. */
    public static final String ALL_LINEAR = "all-linear";

    /**
     * Linear-layer names of the supported families ({@code ModelFamilies}). A target among them may match
     * nothing in a model of another family, so one list can serve every family.
     */
    public static final Set<String> KNOWN_MODULES = Set.copyOf(ModelFamilies.peftDefaults().linearModules());

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

    /**
     * Every module {@code config} adapts, in model order, with PEFT's {@code check_target_module_exists}:
     * modules named by {@code exclude_modules} or matching a {@code modules_to_save} entry are never adapted;
     * a string target is a full-match regex ({@code all-linear} aside); a list target matches names or
     * suffixes and then, unless the name matched exactly, {@code layers_to_transform} filters by layer index.
     *
     * @param matchedTargets receives what adapter_config.json saves as {@code target_modules} for a list
     */
    static List<String> select(List<String> modules, LoraConfig config, Set<String> matchedTargets) {
        return select(modules, new Fields(config.targetModules(), config.excludeModules(), config.layersToTransform(),
                config.layersPattern(), config.modulesToSave()), matchedTargets);
    }

    /**
     * The target-selection settings the LoRA family shares (LoRA, AdaLoRA, ...), as PEFT's
     * {@code check_target_module_exists} reads them.
     */
    public record Fields(Object targetModules, Object excludeModules, List<Integer> layersToTransform,
                         List<String> layersPattern, List<String> modulesToSave) {}

    /** {@link #select(List, LoraConfig, Set)} for any config of the LoRA family. */
    public static List<String> select(List<String> modules, Fields config, Set<String> matchedTargets) {
        Object targets = config.targetModules();
        List<String> candidates;
        if (targets instanceof String regex && !regex.equalsIgnoreCase(ALL_LINEAR)) {
            Pattern pattern = Pattern.compile(regex);
            candidates = modules.stream().filter(module -> pattern.matcher(module).matches()).toList();
            if (candidates.isEmpty()) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "target_modules: regex '%s' matches no module name (a string is a full-match regex, as in PEFT;"
                                + " write [%s] to match by name suffix); names look like: %s", regex, regex, examples(modules)));
            }
        } else {
            @SuppressWarnings("unchecked")
            List<String> list = targets instanceof String ? List.of(ALL_LINEAR) : (List<String>) targets;
            candidates = resolve(modules, list, matchedTargets);
        }
        boolean listTargets = targets instanceof List<?>;
        List<String> selected = candidates.stream()
                .filter(module -> !listTargets || ((List<?>) targets).contains(module) || inLayers(module, config))
                .filter(module -> !excluded(module, config.excludeModules()))
                .filter(module -> config.modulesToSave().stream().noneMatch(saved -> savedModuleMatches(module, saved)))
                .toList();
        if (selected.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "target_modules: none of the %d matched modules is left to adapt after layers_to_transform,"
                            + " exclude_modules and modules_to_save; matched: %s", candidates.size(), examples(candidates)));
        }
        return selected;
    }

    /** PEFT: a string is a full-match regex; a list entry matches the whole name or a dot-bounded suffix. */
    static boolean excluded(String module, Object excludes) {
        if (excludes instanceof String regex) {
            return !regex.isEmpty() && Pattern.compile(regex).matcher(module).matches();
        }
        return excludes instanceof List<?> list && list.stream().anyMatch(entry -> matches(module, (String) entry));
    }

    /** PEFT never puts an adapter on a module to save: {@code re.match(rf"(^|.*\.){m}($|\..*)", key)}. */
    static boolean savedModuleMatches(String module, String saved) {
        return Pattern.compile("(^|.*\\.)" + saved + "($|\\..*)").matcher(module).lookingAt();
    }

    /**
     * PEFT's layer-index rule: the index is the number after {@code <layers_pattern>.} (any name when the
     * pattern is empty), found as {@code re.match(r".*\.[^.]*\.(\d+)\.", key)}; modules without one are not
     * adapted when {@code layers_to_transform} is set.
     */
    static boolean inLayers(String module, Fields config) {
        List<Integer> layers = config.layersToTransform();
        if (layers.isEmpty()) {
            return true;
        }
        List<String> patterns = config.layersPattern().isEmpty() ? List.of("[^.]*") : config.layersPattern();
        for (String pattern : patterns) {
            Matcher matcher = Pattern.compile(".*\\." + pattern + "\\.(\\d+)\\.").matcher(module);
            if (matcher.lookingAt()) {
                return layers.contains(Integer.parseInt(matcher.group(1)));
            }
        }
        return false;
    }

    private static String examples(List<String> modules) {
        return modules.size() <= 8 ? modules.toString() : modules.subList(0, 8) + " and " + (modules.size() - 8) + " more";
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
