package io.finetune4j.peft.qlora;

import io.finetune4j.peft.lora.LoraConfig;
import java.util.List;
import java.util.Map;

/**
 * Settings of the {@code qlora} method (Dettmers et al., "QLoRA: Efficient Finetuning of Quantized LLMs",
 * 2023): every field of {@link LoraConfig}, under the same snake_case keys and with the same meaning, plus
 * how the frozen base is quantised, in the spirit of transformers' {@code BitsAndBytesConfig}:
 * <ul>
 *   <li>{@code quant_type: nf4} / {@code fp4} is {@code load_in_4bit=True, bnb_4bit_quant_type="nf4"} /
 *       {@code "fp4"}; {@code quant_type: int8} is {@code load_in_8bit=True} (row-wise absmax int8, see
 *       {@code Int8Linear}).</li>
 *   <li>{@code double_quant} is {@code bnb_4bit_use_double_quant} (4-bit types only; ignored for int8).</li>
 *   <li>{@code blocksize} is bitsandbytes' 4-bit blocksize (64 in transformers).</li>
 *   <li>{@code compute_dtype} is {@code bnb_4bit_compute_dtype}; only {@code float32} is accepted:
 *       {@code bfloat16} aborts the JVM on DJL's CPU engine, so it is rejected by validation.</li>
 * </ul>
 * As transformers' bitsandbytes integration does, every linear layer except {@code lm_head} is
 * quantised, whatever {@code target_modules} adapts. With {@code init_lora_weights: loftq} the adapted layers are
 * quantised from LoftQ's last quantisation input with these settings, so the stored base is LoftQ's {@code Q}
 * ({@code loftq_bits} must match: 4 for {@code nf4}/{@code fp4}, 8 for {@code int8}). The fields are flat (not a nested {@code lora:}
 * section) so a pipeline file sets any one key and keeps the defaults of the others.
 */
public record QloraConfig(
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
        double loraplusWeightDecay,
        String quantType,
        boolean doubleQuant,
        int blocksize,
        String computeDtype) {

    /** The compute dtype every quantised layer uses. */
    public static final String FLOAT32 = "float32";

    /** The LoRA settings of {@code lora} with the given quantisation, computing in float32. */
    public static QloraConfig of(LoraConfig lora, String quantType, boolean doubleQuant, int blocksize) {
        return of(lora, quantType, doubleQuant, blocksize, FLOAT32);
    }

    /** The LoRA settings of {@code lora} with the given quantisation and compute dtype. */
    public static QloraConfig of(LoraConfig lora, String quantType, boolean doubleQuant, int blocksize,
                                 String computeDtype) {
        return new QloraConfig(lora.r(), lora.loraAlpha(), lora.loraDropout(), lora.targetModules(),
                lora.excludeModules(), lora.bias(), lora.useRslora(), lora.initLoraWeights(), lora.rankPattern(),
                lora.alphaPattern(), lora.layersToTransform(), lora.layersPattern(), lora.modulesToSave(),
                lora.useDora(), lora.loftqConfig(), lora.loraplusLrRatio(), lora.loraplusLrEmbedding(),
                lora.loraplusWeightDecay(), quantType, doubleQuant, blocksize, computeDtype);
    }

    /** The LoRA part, for the {@code lora} method that adapts the quantised model (its constructor copies). */
    public LoraConfig lora() {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, excludeModules, bias, useRslora,
                initLoraWeights, rankPattern, alphaPattern, layersToTransform, layersPattern, modulesToSave, useDora,
                loftqConfig, loraplusLrRatio, loraplusLrEmbedding, loraplusWeightDecay);
    }
}
