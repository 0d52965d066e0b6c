package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.runtime.model.family.ModelFamilies;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Creates the {@code lora} method: low-rank adapters beside frozen linear layers, as Hugging Face PEFT. */
public final class LoraMethodProvider implements MethodProvider<LoraConfig> {
    private static final Set<String> BIASES = Set.of("none", "all", "lora_only");
    private static final Pattern PISSA_NITER = Pattern.compile("pissa_niter_\\d+");
    private static final Set<String> INIT_MODES = Set.of("gaussian", "pissa", "olora", "orthogonal", "loftq");
    private static final Set<String> LOFTQ_KEYS = Set.of("loftq_bits", "loftq_iter");

    @Override public String id() { return "lora"; }

    @Override public String description() { return "LoRA and DoRA: low-rank adapters on linear layers (PEFT-compatible)"; }

    @Override
    public LoraConfig defaults() {
        return new LoraConfig(8, 8.0, 0.0, ModelFamilies.peftDefaults().lora());
    }

    @Override
    public void validate(LoraConfig config, ConfigProblems problems) {
        problems.check(config.r() > 0, "r", "must be > 0, was %d", config.r());
        problems.check(config.loraAlpha() > 0, "lora_alpha", "must be > 0, was %s", config.loraAlpha());
        problems.check(config.loraDropout() >= 0 && config.loraDropout() < 1,
                "lora_dropout", "must be in [0, 1), was %s", config.loraDropout());
        validateTargets(config.targetModules(), problems);
        validateExcludes(config.excludeModules(), problems);
        problems.check(BIASES.contains(config.bias()), "bias", "must be one of [none, all, lora_only], was '%s'",
                config.bias());
        Object init = config.initLoraWeights();
        problems.check(init instanceof Boolean || init instanceof String text
                        && (INIT_MODES.contains(text) || PISSA_NITER.matcher(text).matches()),
                "init_lora_weights", "must be true, false, 'gaussian', 'pissa', 'pissa_niter_<n>', 'olora', "
                        + "'orthogonal' or 'loftq', was %s", init instanceof String ? "'" + init + "'" : init);
        validateInit(config, problems);
        validateLoraPlus(config, problems);
        validatePattern("rank_pattern", config.rankPattern(), problems);
        validatePattern("alpha_pattern", config.alphaPattern(), problems);
        validateLayers(config, problems);
        List<String> modulesToSave = config.modulesToSave();
        for (int i = 0; i < modulesToSave.size(); i++) {
            String name = modulesToSave.get(i);
            problems.check(name != null && !name.isBlank(), "modules_to_save[" + i + "]", "must not be empty");
        }
    }

    /** {@code orthogonal} needs even ranks; {@code loftq} needs PEFT's {@code loftq_config}. */
    private static void validateInit(LoraConfig config, ConfigProblems problems) {
        String mode = config.initMode();
        if (mode.equals("orthogonal")) {
            problems.check(config.r() % 2 == 0, "r", "must be even with init_lora_weights: orthogonal, was %d",
                    config.r());
            config.rankPattern().forEach((key, rank) -> problems.check(rank == null || rank % 2 == 0,
                    "rank_pattern[" + key + "]", "must be even with init_lora_weights: orthogonal, was %s", rank));
        }
        if (!mode.equals("loftq")) {
            return; // PEFT ignores loftq_config then
        }
        Map<String, Integer> loftq = config.loftqConfig();
        if (!problems.check(!loftq.isEmpty(), "loftq_config",
                "must be given with init_lora_weights: loftq, e.g. {loftq_bits: 4, loftq_iter: 1}")) {
            return;
        }
        loftq.forEach((key, value) -> problems.check(LOFTQ_KEYS.contains(key), "loftq_config." + key,
                "unknown key; known: [loftq_bits, loftq_iter]"));
        Integer bits = loftq.get("loftq_bits");
        problems.check(bits == null || bits == 4 || bits == 8, "loftq_config.loftq_bits", "must be 4 or 8, was %s",
                bits);
        Integer iterations = loftq.get("loftq_iter");
        problems.check(iterations == null || iterations >= 1, "loftq_config.loftq_iter", "must be >= 1, was %s",
                iterations);
    }

    private static void validateLoraPlus(LoraConfig config, ConfigProblems problems) {
        Double ratio = config.loraplusLrRatio();
        problems.check(ratio == null || ratio > 0 && Double.isFinite(ratio), "loraplus_lr_ratio",
                "must be > 0 (or null for no LoRA+), was %s", ratio);
        problems.check(config.loraplusLrEmbedding() > 0 && Double.isFinite(config.loraplusLrEmbedding()),
                "loraplus_lr_embedding", "must be > 0, was %s", config.loraplusLrEmbedding());
        problems.check(config.loraplusWeightDecay() >= 0 && Double.isFinite(config.loraplusWeightDecay()),
                "loraplus_weight_decay", "must be >= 0, was %s", config.loraplusWeightDecay());
    }

    /**
     * Checks {@code target_modules} as every method of the LoRA family reads it: a non-empty list of names (with
     * {@code all-linear} alone), or a valid regex string.
     */
    public static void validateTargets(Object targets, ConfigProblems problems) {
        if (targets instanceof String regex) {
            if (problems.check(!regex.isBlank(), "target_modules", "must name at least one module")
                    && !regex.equalsIgnoreCase(TargetModules.ALL_LINEAR)) {
                checkRegex("target_modules", regex, problems);
            }
            return;
        }
        if (!(targets instanceof List<?> list)) {
            problems.add("target_modules", "must be a list of module names or a regex string, was %s", targets);
            return;
        }
        if (problems.check(!list.isEmpty(), "target_modules", "must name at least one module")) {
            checkNames("target_modules", list, problems);
            problems.check(!list.contains(TargetModules.ALL_LINEAR) || list.size() == 1, "target_modules",
                    "'%s' must be the only entry, was %s", TargetModules.ALL_LINEAR, list);
        }
    }

    private static void validateExcludes(Object excludes, ConfigProblems problems) {
        if (excludes instanceof String regex) {
            if (!regex.isEmpty()) {
                checkRegex("exclude_modules", regex, problems);
            }
        } else if (excludes instanceof List<?> list) {
            checkNames("exclude_modules", list, problems);
        } else {
            problems.add("exclude_modules", "must be a list of module names or a regex string, was %s", excludes);
        }
    }

    private static void checkNames(String key, List<?> names, ConfigProblems problems) {
        for (int i = 0; i < names.size(); i++) {
            Object name = names.get(i);
            problems.check(name instanceof String text && !text.isBlank(), key + "[" + i + "]",
                    name == null || name instanceof String ? "must not be empty" : "must be a module name, was " + name);
        }
    }

    private static boolean checkRegex(String key, String regex, ConfigProblems problems) {
        try {
            Pattern.compile(regex);
            return true;
        } catch (PatternSyntaxException e) {
            problems.add(key, "is not a valid regular expression: %s", e.getDescription());
            return false;
        }
    }

    private static void validatePattern(String key, Map<String, ? extends Number> pattern, ConfigProblems problems) {
        pattern.forEach((name, value) -> {
            String where = key + "[" + name + "]";
            if (problems.check(name != null && !name.isBlank(), where, "key must name a module or be a regex")) {
                checkRegex(where, name, problems);
            }
            problems.check(value != null && value.doubleValue() > 0, where, "must be > 0, was %s", value);
        });
    }

    private static void validateLayers(LoraConfig config, ConfigProblems problems) {
        List<Integer> layers = config.layersToTransform();
        for (int i = 0; i < layers.size(); i++) {
            Integer index = layers.get(i);
            problems.check(index != null && index >= 0, "layers_to_transform[" + i + "]", "must be >= 0, was %s", index);
        }
        boolean regexTarget = config.targetModules() instanceof String;
        problems.check(layers.isEmpty() || !regexTarget, "layers_to_transform",
                "cannot be used when target_modules is a string (a regex or all-linear); give target_modules as a list");
        List<String> patterns = config.layersPattern();
        if (!patterns.isEmpty()) {
            problems.check(!layers.isEmpty(), "layers_pattern", "needs layers_to_transform");
            problems.check(!regexTarget, "layers_pattern", "cannot be used when target_modules is a string");
            for (int i = 0; i < patterns.size(); i++) {
                String pattern = patterns.get(i);
                if (problems.check(pattern != null && !pattern.isBlank(), "layers_pattern[" + i + "]", "must not be empty")) {
                    checkRegex("layers_pattern[" + i + "]", pattern, problems);
                }
            }
        }
    }

    @Override
    public Method create(LoraConfig config, MethodContext context) {
        return new LoraMethod(config, context.model(), context.seed(), context.adapterName());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(LoraMethod.PEFT_TYPE);
    }
}
