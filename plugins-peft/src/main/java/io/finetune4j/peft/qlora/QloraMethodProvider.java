package io.finetune4j.peft.qlora;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.peft.lora.LoraConfig;
import io.finetune4j.peft.lora.LoraMethod;
import io.finetune4j.peft.lora.LoraMethodProvider;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Creates the {@code qlora} method: LoRA in float32 on top of a base whose linear layers are stored in
 * NF4, FP4 or int8, as PEFT with a bitsandbytes-quantised model. Adapters are saved as PEFT's {@code LORA}.
 */
public final class QloraMethodProvider implements MethodProvider<QloraConfig> {
    /** {@code nf4} and {@code fp4} (bitsandbytes' 4-bit types), {@code int8} (LLM.int8()-style rows). */
    static final List<String> QUANT_TYPES = List.of("nf4", "fp4", "int8");
    /** Spellings of bfloat16 in transformers configs and torch. */
    private static final Set<String> BFLOAT16 = Set.of("bfloat16", "bf16", "torch.bfloat16");
    /** Spellings of float32. */
    private static final Set<String> FLOAT32 = Set.of("float32", "fp32", "torch.float32", "float");

    /** bitsandbytes' supported 4-bit blocksizes. */
    static final List<Integer> BLOCKSIZES = List.of(64, 128, 256, 512, 1024, 2048, 4096);

    @Override public String id() { return "qlora"; }

    @Override
    public String description() {
        return "QLoRA: LoRA adapters on an NF4/FP4 (double-quantised) or int8 frozen base, as bitsandbytes + PEFT";
    }

    /**
     * The QLoRA paper's recipe (Dettmers et al. 2023, §4 and appendix B.2: {@code r = 64}, {@code α = 16}, adapters
     * on every linear layer, NF4 with double quantisation), blocks of 64, float32 compute; dropout 0.05 (the
     * paper's value for 33B/65B models, 0.1 for ≤13B).
     */
    @Override
    public QloraConfig defaults() {
        return QloraConfig.of(new LoraConfig(64, 16.0, 0.05, List.of("all-linear")), "nf4", true, 64);
    }

    @Override
    public void validate(QloraConfig config, ConfigProblems problems) {
        new LoraMethodProvider().validate(config.lora(), problems);
        // PiSSA and OLoRA write the residual W - s·B·A back into the base weight: a quantised base has no float weight
        String init = String.valueOf(config.initLoraWeights()).toLowerCase(Locale.ROOT);
        problems.check(!init.startsWith("pissa") && !init.equals("olora"),
                "init_lora_weights", "%s is not supported on a quantised base", config.initLoraWeights());
        String type = config.quantType();
        problems.check(QUANT_TYPES.contains(type), "quant_type", "must be one of %s, was %s", QUANT_TYPES, type);
        if ("loftq".equals(config.initLoraWeights()) && QUANT_TYPES.contains(type)) {
            Integer bits = config.loftqConfig().getOrDefault("loftq_bits", 4);
            int expected = "int8".equals(type) ? 8 : 4;
            problems.check(bits == null || bits != 4 && bits != 8 || bits == expected, "loftq_config.loftq_bits",
                    "must be %d with quant_type %s (LoftQ quantises as the base is stored), was %s", expected, type,
                    bits);
        }
        validateComputeDtype(config.computeDtype(), problems);
        problems.check(BLOCKSIZES.contains(config.blocksize()), "blocksize",
                "must be one of %s, was %d", BLOCKSIZES, config.blocksize());
    }

    /**
     * {@code bnb_4bit_compute_dtype}: every quantised layer here computes in float32. bfloat16 is refused with
     * its own reason: on DJL's PyTorch CPU engine a bf16 cast aborts the whole JVM (STACK.md), and no other
     * engine path computes in bf16, so the device cannot make it work.
     */
    private static void validateComputeDtype(String dtype, ConfigProblems problems) {
        String value = dtype == null ? "" : dtype.toLowerCase(Locale.ROOT);
        if (BFLOAT16.contains(value)) {
            problems.add("compute_dtype", "bfloat16 is not supported on a CPU device: DJL's PyTorch CPU engine aborts"
                    + " the JVM on bf16 tensors; use float32");
        } else {
            problems.check(FLOAT32.contains(value), "compute_dtype",
                    "must be float32 (quantised layers dequantise and compute in float32), was %s", dtype);
        }
    }

    /** Also refuses a bf16 compute dtype here, for callers that skipped {@link #validate}: bf16 would abort the JVM. */
    @Override
    public Method create(QloraConfig config, MethodContext context) {
        ConfigProblems problems = ConfigProblems.at("");
        validateComputeDtype(config.computeDtype(), problems);
        problems.throwIfAny();
        return new QloraMethod(config, context);
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(LoraMethod.PEFT_TYPE);
    }
}
