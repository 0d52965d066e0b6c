package io.finetune4j.peft.adalora;

import io.finetune4j.runtime.model.family.ModelFamilies;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the {@code adalora} method (Zhang et al., "Adaptive Budget Allocation for Parameter-Efficient
 * Fine-Tuning", ICLR 2023), named and defaulted as Hugging Face PEFT's {@code AdaLoraConfig}
 * ({@code peft/tuners/adalora/config.py}); pipeline files write the keys in snake_case, so PEFT's
 * {@code deltaT} is {@code delta_t} there (adapter_config.json keeps PEFT's {@code deltaT}).
 *
 * <p>PEFT's {@code r} is not used by AdaLoRA (PEFT warns and ignores it): the initial rank is {@code init_r}.
 * Not supported here: {@code modules_to_save}, {@code use_rslora} (AdaLoRA's scaling ignores it in PEFT too),
 * {@code loftq_config}; {@code use_dora} exists only so that {@code true} is rejected with PEFT's reason.
 *
 * @param targetR target average rank per adapted module after the budget schedule
 * @param initR initial rank of every adapted module
 * @param tinit optimizer steps of initial warm-up before any rank is pruned
 * @param tfinal final optimizer steps during which the last allocation is kept fixed
 * @param deltaT steps between two budget allocations (PEFT's {@code deltaT})
 * @param beta1 EMA factor of the sensitivity {@code |p·grad|}, in (0, 1)
 * @param beta2 EMA factor of the uncertainty {@code |ipt - ema(ipt)|}, in (0, 1)
 * @param orthRegWeight weight of the orthogonality penalty {@code ‖AAᵀ - I‖_F}, {@code ‖BᵀB - I‖_F}, {@code > 0}
 * @param totalStep the run's total number of optimizer steps; required (no default), as in PEFT
 * @param rankPattern output: per {@code <module>.lora_E}, which of the {@code init_r} triplets are kept
 *     (written to adapter_config.json after training); when given, modules are created at the kept ranks,
 *     as PEFT's {@code resize_modules_by_rank_pattern} does when it loads an adapter
 * @param loraAlpha scaling numerator: the update is scaled by {@code lora_alpha / (ranknum + 1e-5)}
 * @param loraDropout dropout on the adapter's input while training, in {@code [0, 1)}
 * @param targetModules a list of module names or suffixes, a full-match regex string, or {@code all-linear}
 * @param excludeModules modules never adapted: a list of names or suffixes, or a regex string
 * @param layersToTransform only adapt modules of these decoder layer indices (list targets only); empty for all
 * @param layersPattern name of the layer list ({@code layers}, {@code h}); empty means any
 * @param bias {@code none}, {@code all} or {@code lora_only}: which biases train (in place, as in PEFT)
 * @param initLoraWeights {@code true}: A, B from normal(0, 0.02) and E = 0 (PEFT's
 *     {@code reset_lora_parameters}); {@code false}: A, E, B from normal(0, 1) ({@code torch.randn})
 * @param useDora must be false: PEFT's AdaLoRA does not support DoRA
 */
public record AdaLoraConfig(
        int targetR,
        int initR,
        int tinit,
        int tfinal,
        int deltaT,
        double beta1,
        double beta2,
        double orthRegWeight,
        Integer totalStep,
        Map<String, List<Boolean>> rankPattern,
        double loraAlpha,
        double loraDropout,
        Object targetModules,
        Object excludeModules,
        List<Integer> layersToTransform,
        List<String> layersPattern,
        String bias,
        boolean initLoraWeights,
        boolean useDora) {

    /** PEFT's default target modules of every supported family in one list ({@code [q_proj, v_proj, c_attn]}). */
    public static final List<String> DEFAULT_TARGETS = ModelFamilies.peftDefaults().lora();

    public AdaLoraConfig {
        rankPattern = rankPattern == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        targetModules = copyIfList(targetModules == null ? DEFAULT_TARGETS : targetModules);
        excludeModules = copyIfList(excludeModules == null ? List.of() : excludeModules);
        layersToTransform = layersToTransform == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(layersToTransform));
        layersPattern = layersPattern == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(layersPattern));
        bias = bias == null ? "none" : bias;
    }

    /** PEFT's defaults, with {@code total_step} set and {@code target_modules}, {@code init_r}, {@code target_r} given. */
    public static AdaLoraConfig of(int initR, int targetR, int totalStep, List<String> targetModules) {
        return new AdaLoraConfig(targetR, initR, 0, 0, 1, 0.85, 0.85, 0.5, totalStep, Map.of(), 8.0, 0.0,
                targetModules, List.of(), List.of(), List.of(), "none", true, false);
    }

    /** A copy with the schedule {@code tinit}, {@code tfinal}, {@code deltaT} replaced. */
    public AdaLoraConfig withSchedule(int tinit, int tfinal, int deltaT) {
        return new AdaLoraConfig(targetR, initR, tinit, tfinal, deltaT, beta1, beta2, orthRegWeight, totalStep,
                rankPattern, loraAlpha, loraDropout, targetModules, excludeModules, layersToTransform, layersPattern,
                bias, initLoraWeights, useDora);
    }

    /** A copy with {@code rank_pattern} replaced (PEFT's loader resizes modules by it). */
    public AdaLoraConfig withRankPattern(Map<String, List<Boolean>> pattern) {
        return new AdaLoraConfig(targetR, initR, tinit, tfinal, deltaT, beta1, beta2, orthRegWeight, totalStep,
                pattern, loraAlpha, loraDropout, targetModules, excludeModules, layersToTransform, layersPattern,
                bias, initLoraWeights, useDora);
    }

    /**
     * PEFT's {@code AdaLoraLayer.update_layer}: {@code scaling = lora_alpha if lora_alpha > 0 else r}, with
     * {@code r} the rank the module is created with.
     */
    double scaling(int rank) {
        return loraAlpha > 0 ? loraAlpha : rank;
    }

    private static Object copyIfList(Object value) {
        return value instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list)) : value;
    }
}
