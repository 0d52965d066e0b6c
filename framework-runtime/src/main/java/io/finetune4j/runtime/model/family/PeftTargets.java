package io.finetune4j.runtime.model.family;

import io.finetune4j.api.Stable;
import java.util.List;

/**
 * PEFT's per-family defaults ({@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING},
 * {@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}, {@code ..._IA3_FEEDFORWARD_MODULES_MAPPING}) and
 * the linear-layer names of a family, as PEFT matches them (a name or a {@code "."}-separated suffix).
 *
 * @param lora LoRA's and AdaLoRA's default {@code target_modules}
 * @param ia3 IA3's default {@code target_modules}
 * @param ia3FeedForward IA3's default {@code feedforward_modules} (a subset of {@code ia3})
 * @param linearModules the last name part of every linear layer but the output layer ({@code all-linear})
 */
@Stable
public record PeftTargets(List<String> lora, List<String> ia3, List<String> ia3FeedForward, List<String> linearModules) {
    public PeftTargets {
        lora = List.copyOf(lora);
        ia3 = List.copyOf(ia3);
        ia3FeedForward = List.copyOf(ia3FeedForward);
        linearModules = List.copyOf(linearModules);
    }
}
