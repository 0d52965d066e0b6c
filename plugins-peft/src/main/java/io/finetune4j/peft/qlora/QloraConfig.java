package io.finetune4j.peft.qlora;

import io.finetune4j.peft.lora.LoraConfig;
import java.util.List;
import java.util.Map;

/**
 * Settings of the {@code qlora} method (Dettmers et al., "QLoRA: Efficient Finetuning of Quantized LLMs",
 * 2023): every field of {@link LoraConfig}, under the same snake_case keys and with the same meaning, plus
 * how the frozen base is quantised, in the spirit of transformers' {@code BitsAndBytesConfig}:
 * <ul>
 *   <li>{@code quant_type: nf4} is {@code load_in_4bit=True, bnb_4bit_quant_type="nf4"};
 *       {@code quant_type: int8} is {@code load_in_8bit=True} (row-wise absmax int8, see
 *       {@code Int8Linear}). bitsandbytes' {@code fp4} is not implemented.</li>
 *   <li>{@code double_quant} is {@code bnb_4bit_use_double_quant} (NF4 only; ignored for int8).</li>
 *   <li>{@code blocksize} is bitsandbytes' 4-bit blocksize (64 in transformers).</li>
 * </ul>
 * The compute dtype ({@code bnb_4bit_compute_dtype}) is always float32: bf16 aborts the JVM on DJL's CPU
 * engine. As transformers' bitsandbytes integration does, every linear layer except {@code lm_head} is
 * quantised, whatever {@code target_modules} adapts. The fields are flat (not a nested {@code lora:}
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
        String quantType,
        boolean doubleQuant,
        int blocksize) {

    /** The LoRA settings of {@code lora} with the given quantisation. */
    public static QloraConfig of(LoraConfig lora, String quantType, boolean doubleQuant, int blocksize) {
        return new QloraConfig(lora.r(), lora.loraAlpha(), lora.loraDropout(), lora.targetModules(),
                lora.excludeModules(), lora.bias(), lora.useRslora(), lora.initLoraWeights(), lora.rankPattern(),
                lora.alphaPattern(), lora.layersToTransform(), lora.layersPattern(), lora.modulesToSave(),
                lora.useDora(), quantType, doubleQuant, blocksize);
    }

    /** The LoRA part, for the {@code lora} method that adapts the quantised model (its constructor copies). */
    public LoraConfig lora() {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, excludeModules, bias, useRslora,
                initLoraWeights, rankPattern, alphaPattern, layersToTransform, layersPattern, modulesToSave, useDora);
    }
}
