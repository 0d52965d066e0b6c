package io.finetune4j.peft.adalora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.peft.lora.TargetModules;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which linear layers AdaLoRA adapts, with PEFT's rules (AdaLoRA inherits LoRA's
 * {@code check_target_module_exists}): list entries match a name or a dot-bounded suffix (resolved by
 * {@link TargetModules#resolve}, which also handles {@code all-linear}), a string is a full-match regex,
 * then {@code layers_to_transform} (list targets only) and {@code exclude_modules} filter.
 */
final class AdaLoraTargets {
    static final String ALL_LINEAR = TargetModules.ALL_LINEAR;

    private AdaLoraTargets() {}

    /**
     * @param modules the model's linear layer names, in model order
     * @param matchedTargets receives the list entries that matched (saved as {@code target_modules})
     * @return the modules to adapt, in model order
     */
    static List<String> select(List<String> modules, AdaLoraConfig config, Set<String> matchedTargets) {
        Object targets = config.targetModules();
        List<String> candidates;
        if (targets instanceof String regex && !regex.equalsIgnoreCase(ALL_LINEAR)) {
            Pattern pattern = Pattern.compile(regex);
            candidates = modules.stream().filter(module -> pattern.matcher(module).matches()).toList();
            if (candidates.isEmpty()) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "target_modules: regex '%s' matches no module name (a string is a full-match regex, as in"
                                + " PEFT; write [%s] to match by name suffix)", regex, regex));
            }
        } else {
            @SuppressWarnings("unchecked")
            List<String> list = targets instanceof String ? List.of(ALL_LINEAR) : (List<String>) targets;
            candidates = TargetModules.resolve(modules, list, matchedTargets);
        }
        boolean listTargets = targets instanceof List<?>;
        List<String> selected = candidates.stream()
                .filter(module -> !listTargets || ((List<?>) targets).contains(module) || inLayers(module, config))
                .filter(module -> !excluded(module, config.excludeModules()))
                .toList();
        if (selected.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "target_modules: none of the %d matched modules is left to adapt after layers_to_transform and"
                            + " exclude_modules", candidates.size()));
        }
        return selected;
    }

    /** PEFT: a string is a full-match regex; a list entry matches the whole name or a dot-bounded suffix. */
    static boolean excluded(String module, Object excludes) {
        if (excludes instanceof String regex) {
            return !regex.isEmpty() && Pattern.compile(regex).matcher(module).matches();
        }
        return excludes instanceof List<?> list && list.stream()
                .anyMatch(entry -> module.equals(entry) || module.endsWith("." + entry));
    }

    /**
     * PEFT's layer-index rule: the number after {@code <layers_pattern>.} (any name part when the pattern is
     * empty), {@code re.match(r".*\.[^.]*\.(\d+)\.", key)}; modules without one are not adapted.
     */
    static boolean inLayers(String module, AdaLoraConfig config) {
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

    /** Sorted copy for adapter_config.json, which PEFT writes from a set. */
    static List<String> sorted(Set<String> targets) {
        return List.copyOf(new java.util.TreeSet<>(targets));
    }

    static Set<String> newMatched() {
        return new LinkedHashSet<>();
    }
}
