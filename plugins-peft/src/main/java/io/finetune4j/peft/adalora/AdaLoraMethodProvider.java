package io.finetune4j.peft.adalora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.peft.lora.TargetModules;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Creates the {@code adalora} method: SVD-form low-rank adapters whose ranks are pruned during training by
 * importance, as Hugging Face PEFT's {@code AdaLoraModel}.
 *
 * <p>{@code total_step} has no default, as in PEFT: {@link #defaults()} leaves it unset and {@link #validate}
 * reports it, so a pipeline must give it. (This is the one provider whose defaults alone do not validate.)
 */
public final class AdaLoraMethodProvider implements MethodProvider<AdaLoraConfig> {
    private static final Set<String> BIASES = Set.of("none", "all", "lora_only");

    @Override public String id() { return "adalora"; }

    @Override
    public String description() {
        return "AdaLoRA: SVD-form LoRA whose ranks are allocated by importance during training (PEFT-compatible)";
    }

    /** PEFT's {@code AdaLoraConfig} defaults; {@code total_step} is unset (required). */
    @Override
    public AdaLoraConfig defaults() {
        return new AdaLoraConfig(8, 12, 0, 0, 1, 0.85, 0.85, 0.5, null, Map.of(), 8.0, 0.0,
                AdaLoraConfig.DEFAULT_TARGETS, List.of(), List.of(), List.of(), "none", true, false);
    }

    @Override
    public void validate(AdaLoraConfig config, ConfigProblems problems) {
        Integer total = config.totalStep();
        boolean hasTotal = problems.check(total != null && total > 0, "total_step",
                "required: AdaLoRA's rank budget schedule needs the run's total number of optimizer steps;"
                        + " supply a value > 0, was %s", total);
        problems.check(config.tinit() >= 0, "tinit", "must be >= 0, was %d", config.tinit());
        problems.check(config.tfinal() >= 0, "tfinal", "must be >= 0, was %d", config.tfinal());
        if (hasTotal) {
            // PEFT's AdaLoraConfig: "The supplied schedule values don't allow for a budgeting phase."
            problems.check(config.tinit() < total - config.tfinal(), "tinit",
                    "must be < total_step - tfinal (%d - %d = %d), was %d: the schedule leaves no budgeting phase;"
                            + " decrease tfinal/tinit or increase total_step",
                    total, config.tfinal(), total - config.tfinal(), config.tinit());
        }
        problems.check(config.deltaT() >= 1, "delta_t", "must be >= 1, was %d", config.deltaT());
        problems.check(config.targetR() > 0, "target_r", "must be > 0, was %d", config.targetR());
        problems.check(config.initR() >= config.targetR(), "init_r", "must be >= target_r (%d), was %d",
                config.targetR(), config.initR());
        problems.check(config.beta1() > 0 && config.beta1() < 1, "beta1", "must be in (0, 1), was %s", config.beta1());
        problems.check(config.beta2() > 0 && config.beta2() < 1, "beta2", "must be in (0, 1), was %s", config.beta2());
        // PEFT v0.20 AdaLoraConfig.__post_init__: "orth_reg_weight should be greater than or equal to 0"
        problems.check(config.orthRegWeight() >= 0, "orth_reg_weight", "must be >= 0 (as in PEFT), was %s",
                config.orthRegWeight());
        problems.check(config.loraAlpha() >= 0, "lora_alpha", "must be >= 0, was %s", config.loraAlpha());
        problems.check(config.loraDropout() >= 0 && config.loraDropout() < 1, "lora_dropout",
                "must be in [0, 1), was %s", config.loraDropout());
        problems.check(BIASES.contains(config.bias()), "bias", "must be one of [none, all, lora_only], was '%s'",
                config.bias());
        problems.check(!config.useDora(), "use_dora",
                "AdaLoRA does not support DoRA (PEFT's AdaLoraConfig rejects it too); use the lora method for DoRA");
        validateTargets("target_modules", config.targetModules(), false, problems);
        validateTargets("exclude_modules", config.excludeModules(), true, problems);
        validateLayers(config, problems);
        config.rankPattern().forEach((name, mask) -> problems.check(mask != null && mask.size() == config.initR()
                        && !mask.contains(null), "rank_pattern[" + name + "]",
                "must list init_r (%d) true/false values, was %s", config.initR(), mask));
    }

    private static void validateTargets(String key, Object targets, boolean mayBeEmpty, ConfigProblems problems) {
        if (targets instanceof String regex) {
            if (regex.isBlank()) {
                problems.check(mayBeEmpty, key, "must name at least one module");
            } else if (!regex.equalsIgnoreCase(TargetModules.ALL_LINEAR)) {
                checkRegex(key, regex, problems);
            }
        } else if (targets instanceof List<?> list) {
            problems.check(mayBeEmpty || !list.isEmpty(), key, "must name at least one module");
            for (int i = 0; i < list.size(); i++) {
                Object name = list.get(i);
                problems.check(name instanceof String text && !text.isBlank(), key + "[" + i + "]",
                        name == null || name instanceof String ? "must not be empty" : "must be a module name, was " + name);
            }
        } else {
            problems.add(key, "must be a list of module names or a regex string, was %s", targets);
        }
    }

    private static void validateLayers(AdaLoraConfig config, ConfigProblems problems) {
        List<Integer> layers = config.layersToTransform();
        for (int i = 0; i < layers.size(); i++) {
            Integer index = layers.get(i);
            problems.check(index != null && index >= 0, "layers_to_transform[" + i + "]", "must be >= 0, was %s", index);
        }
        problems.check(layers.isEmpty() || !(config.targetModules() instanceof String), "layers_to_transform",
                "cannot be used when target_modules is a string (a regex or all-linear); give target_modules as a list");
        List<String> patterns = config.layersPattern();
        if (!patterns.isEmpty()) {
            problems.check(!layers.isEmpty(), "layers_pattern", "needs layers_to_transform");
            for (int i = 0; i < patterns.size(); i++) {
                String pattern = patterns.get(i);
                if (problems.check(pattern != null && !pattern.isBlank(), "layers_pattern[" + i + "]", "must not be empty")) {
                    checkRegex("layers_pattern[" + i + "]", pattern, problems);
                }
            }
        }
    }

    private static void checkRegex(String key, String regex, ConfigProblems problems) {
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            problems.add(key, "is not a valid regular expression: %s", e.getDescription());
        }
    }

    @Override
    public Method create(AdaLoraConfig config, MethodContext context) {
        return new AdaLoraMethod(config, context.model(), context.seed());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(AdaLoraMethod.PEFT_TYPE);
    }
}
