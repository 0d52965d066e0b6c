package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Resolves {@code modules_to_save} as PEFT's {@code _set_trainable} does: a module is saved when its name ends
 * with an entry ({@code key.endswith(target_key)}). Only linear layers can be wrapped here, because the model
 * lets methods replace linear layers only.
 */
final class ModulesToSave {
    private ModulesToSave() {}

    /** The linear layers to train whole, in model order; a ConfigException for entries that match nothing or a non-linear module. */
    static List<String> resolve(CausalLM model, List<String> entries) {
        if (entries.isEmpty()) {
            return List.of();
        }
        Set<String> modules = new LinkedHashSet<>(model.linears().keySet());
        for (String parameter : model.parameters().keySet()) {
            int dot = parameter.lastIndexOf('.');
            if (dot > 0) {
                modules.add(parameter.substring(0, dot));
            }
        }
        Set<String> selected = new LinkedHashSet<>();
        for (String entry : entries) {
            List<String> matches = modules.stream().filter(module -> module.endsWith(entry)).toList();
            if (matches.isEmpty()) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "modules_to_save: '%s' matches no module; linear layers are: %s", entry,
                        TargetModules.suffixes(new ArrayList<>(model.linears().keySet()))));
            }
            for (String match : matches) {
                if (!model.linears().containsKey(match)) {
                    throw new ConfigException(String.format(Locale.ROOT,
                            "modules_to_save: '%s' matches '%s', which is not a linear layer; only linear layers"
                                    + " (such as an untied lm_head) can be trained whole", entry, match));
                }
                selected.add(match);
            }
        }
        return model.linears().keySet().stream().filter(selected::contains).toList();
    }

    static boolean isSaved(String module, List<String> entries) {
        return entries.stream().anyMatch(module::endsWith);
    }
}
