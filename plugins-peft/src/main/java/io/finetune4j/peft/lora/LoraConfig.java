package io.finetune4j.peft.lora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings of the {@code lora} method (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models",
 * 2021), named and defaulted as Hugging Face PEFT's {@code LoraConfig}; pipeline files write the keys in
 * snake_case ({@code r}, {@code lora_alpha}, {@code target_modules}, {@code use_dora}, ...).
 *
 * <p>{@code targetModules} follows PEFT: a <em>list</em> selects linear layers whose name equals an entry or
 * ends with {@code "." + entry} ({@code q_proj} matches {@code model.layers.0.self_attn.q_proj}); a single
 * <em>string</em> is a regular expression that must match the whole module name
 * ({@code re.fullmatch}), except {@code all-linear}, which selects every linear layer but the output layer
 * {@code lm_head}. The default, {@code [q_proj, v_proj, c_attn]}, is PEFT's default for the Llama family
 * and for GPT-2 in one list: an entry naming a module of another supported architecture (see
 * {@link TargetModules#KNOWN_MODULES}) may match nothing, any other entry that matches nothing is an error.
 * {@code excludeModules} uses the same two forms to remove modules again.
 *
 * @param r rank of the update, {@code > 0}
 * @param loraAlpha the update is scaled by {@code lora_alpha / r} ({@code lora_alpha / sqrt(r)} with rsLoRA)
 * @param loraDropout dropout on the adapter's input while training, in {@code [0, 1)}
 * @param targetModules a list of module names or suffixes, a regex string, or {@code all-linear}
 * @param excludeModules modules never adapted: a list of names or suffixes, or a regex string; empty for none
 * @param bias {@code none}, {@code all} (every bias of the model trains) or {@code lora_only} (the biases of
 *     adapted layers train); trained biases change the base model in place, as in PEFT
 * @param useRslora rank-stabilised scaling {@code lora_alpha / sqrt(r)} (Kalajdzievski, 2023)
 * @param initLoraWeights {@code true} (kaiming-uniform A, zero B), {@code false} (A and B random, not an
 *     identity; for debugging), {@code gaussian} (A from normal(0, 1/r), zero B), {@code pissa} or
 *     {@code pissa_niter_<n>} (A, B from the top-r singular triplets of W; the residual stays in the base),
 *     {@code olora} (A, B from the QR decomposition of W; the residual stays in the base), {@code orthogonal}
 *     (A, B with orthogonal row spaces, so B·A = 0; even r), {@code loftq} (LoftQ: the base becomes its
 *     quantised value, A, B approximate the quantisation error); see {@link LoraInit}
 * @param rankPattern per-module rank: the first key (a regex) matching the end of a module name on a name
 *     boundary wins (PEFT's {@code get_pattern_key})
 * @param alphaPattern per-module alpha, resolved like {@code rankPattern}
 * @param layersToTransform only adapt modules of these decoder layer indices (list targets only); empty for all
 * @param layersPattern name of the layer list ({@code layers}, {@code h}); empty means any
 * @param modulesToSave linear layers trained whole (a trainable copy) and saved with the adapter, e.g.
 *     {@code lm_head}; matched as PEFT does, by the end of the module name
 * @param useDora weight-decomposed LoRA (Liu et al., 2024): a trainable magnitude per output feature
 * @param loftqConfig PEFT's {@code loftq_config} ({@code loftq_bits} 4 or 8, {@code loftq_iter} >= 1; a missing
 *     key takes {@code LoftQConfig}'s default 4 / 1); required with {@code init_lora_weights: loftq}, ignored
 *     otherwise, as in PEFT
 * @param loraplusLrRatio LoRA+ (Hayou et al., 2024; PEFT's {@code create_loraplus_optimizer}): {@code lora_B} and
 *     every 1-d trainable parameter train at {@code learning_rate * loraplus_lr_ratio}; null turns LoRA+ off
 * @param loraplusLrEmbedding LoRA+'s learning rate of embedding adapters (none exist here: LoRA adapts linear
 *     layers only)
 * @param loraplusWeightDecay LoRA+'s weight decay of its parameter groups (PEFT's {@code loraplus_weight_decay}),
 *     replacing the stage's {@code weight_decay} for this method's parameters while LoRA+ is on
 */
public record LoraConfig(
        int r,
        double loraAlpha,
        double loraDropout,
        Object targetModules,
        Object excludeModules,
        String bias,
        boolean useRslora,
        Object initLoraWeights,
        Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern,
        List<Integer> layersToTransform,
        List<String> layersPattern,
        List<String> modulesToSave,
        boolean useDora,
        Map<String, Integer> loftqConfig,
        Double loraplusLrRatio,
        double loraplusLrEmbedding,
        double loraplusWeightDecay) {

    /** PEFT's {@code loraplus_lr_embedding} default. */
    public static final double LORAPLUS_LR_EMBEDDING = 1e-6;

    public LoraConfig {
        targetModules = copyIfList(targetModules == null ? List.of() : targetModules);
        excludeModules = copyIfList(excludeModules == null ? List.of() : excludeModules);
        bias = bias == null ? "none" : bias;
        initLoraWeights = initLoraWeights == null ? Boolean.TRUE : initLoraWeights;
        rankPattern = orderedCopy(rankPattern);
        alphaPattern = orderedCopy(alphaPattern);
        layersToTransform = listCopy(layersToTransform);
        layersPattern = listCopy(layersPattern);
        modulesToSave = listCopy(modulesToSave);
        loftqConfig = orderedCopy(loftqConfig);
    }

    /** Every field but LoftQ and LoRA+, which stay off. */
    public LoraConfig(int r, double loraAlpha, double loraDropout, Object targetModules, Object excludeModules,
                      String bias, boolean useRslora, Object initLoraWeights, Map<String, Integer> rankPattern,
                      Map<String, Double> alphaPattern, List<Integer> layersToTransform, List<String> layersPattern,
                      List<String> modulesToSave, boolean useDora) {
        this(r, loraAlpha, loraDropout, targetModules, excludeModules, bias, useRslora, initLoraWeights, rankPattern,
                alphaPattern, layersToTransform, layersPattern, modulesToSave, useDora, Map.of(), null,
                LORAPLUS_LR_EMBEDDING, 0.0);
    }

    /** Plain LoRA on {@code targetModules} (a list) with every other setting at PEFT's default. */
    public LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules) {
        this(r, loraAlpha, loraDropout, targetModules, List.of(), "none", false, true, Map.of(), Map.of(),
                List.of(), List.of(), List.of(), false);
    }

    /** PEFT's scaling factor for the config's own {@code r} and {@code lora_alpha}. */
    public double scaling() {
        return scaling(r, loraAlpha);
    }

    /** {@code alpha / sqrt(rank)} with rsLoRA, else {@code alpha / rank} (PEFT's {@code update_layer}). */
    double scaling(int rank, double alpha) {
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** The rank of module {@code name}: {@code rank_pattern}'s first matching key, else {@code r}. */
    int rankFor(String name) {
        String key = patternKey(rankPattern.keySet(), name);
        return key == null ? r : rankPattern.get(key);
    }

    /** The alpha of module {@code name}: {@code alpha_pattern}'s first matching key, else {@code lora_alpha}. */
    double alphaFor(String name) {
        String key = patternKey(alphaPattern.keySet(), name);
        return key == null ? loraAlpha : alphaPattern.get(key);
    }

    /** {@code loftq_config.loftq_bits}, PEFT's {@code LoftQConfig} default 4 when not given. */
    int loftqBits() {
        return loftqConfig.getOrDefault("loftq_bits", 4);
    }

    /** {@code loftq_config.loftq_iter}, PEFT's {@code LoftQConfig} default 1 when not given. */
    int loftqIter() {
        return loftqConfig.getOrDefault("loftq_iter", 1);
    }

    /** The init mode in lower case ({@code true}, {@code false}, {@code gaussian}, {@code pissa}, ...). */
    String initMode() {
        return String.valueOf(initLoraWeights).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * PEFT's {@code get_pattern_key}: the first key {@code k} for which {@code re.match(rf"(.*\.)?({k})$", name)}
     * holds, i.e. {@code k} matches a dot-bounded tail of the name; null when none does.
     */
    static String patternKey(Iterable<String> keys, String name) {
        for (String key : keys) {
            if (Pattern.compile("(.*\\.)?(" + key + ")").matcher(name).matches()) {
                return key;
            }
        }
        return null;
    }

    private static Object copyIfList(Object value) {
        // Nulls inside stay (List.copyOf would throw): validate reports them with the key's name.
        return value instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list)) : value;
    }

    private static <T> List<T> listCopy(List<T> list) {
        return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
    }

    private static <V> Map<String, V> orderedCopy(Map<String, V> map) {
        // Insertion order matters: the first matching key wins, as in PEFT.
        return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
