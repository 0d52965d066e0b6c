package io.finetune4j.peft.ia3;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** PEFT's module matching for a list ({@code check_target_module_exists}): equal, or ending with {@code "." + entry}. */
final class Ia3Modules {
    /**
     * Entries of the per-family defaults; one may match nothing in a model of another family, every other
     * entry that matches nothing is a typo and an error.
     */
    static final Set<String> FAMILY_DEFAULTS = Set.copyOf(ModelFamilies.peftDefaults().ia3());

    private Ia3Modules() {}

    static boolean matches(String module, String entry) {
        return module.equals(entry) || module.endsWith("." + entry);
    }

    static boolean matchesAny(String module, List<String> entries) {
        return entries.stream().anyMatch(entry -> matches(module, entry));
    }

    /** The modules {@code targets} select, in model order; {@code matched} receives the entries that matched. */
    static List<String> resolve(List<String> modules, List<String> targets, Set<String> matched) {
        List<String> selected = new ArrayList<>();
        for (String module : modules) {
            if (matchesAny(module, targets)) {
                selected.add(module);
            }
        }
        for (String target : targets) {
            if (modules.stream().anyMatch(module -> matches(module, target))) {
                matched.add(target);
            } else if (!FAMILY_DEFAULTS.contains(target)) {
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

    private static Set<String> suffixes(List<String> modules) {
        Set<String> suffixes = new LinkedHashSet<>();
        modules.forEach(name -> suffixes.add(name.substring(name.lastIndexOf('.') + 1)));
        return suffixes;
    }
}
