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

/**
 * Creates the {@code qlora} method: LoRA in float32 on top of a base whose linear layers are stored in
 * NF4 (or int8), as PEFT with a bitsandbytes-quantised model. Adapters are saved as PEFT's {@code LORA}.
 */
public final class QloraMethodProvider implements MethodProvider<QloraConfig> {
    /** bitsandbytes' supported 4-bit blocksizes. */
    static final List<Integer> BLOCKSIZES = List.of(64, 128, 256, 512, 1024, 2048, 4096);

    @Override public String id() { return "qlora"; }

    @Override
    public String description() {
        return "QLoRA: LoRA adapters on an NF4 (double-quantised) or int8 frozen base, as bitsandbytes + PEFT";
    }

    /** The QLoRA paper's recipe: adapters on every linear layer, NF4 with double quantisation, blocks of 64. */
    @Override
    public QloraConfig defaults() {
        return QloraConfig.of(new LoraConfig(8, 16.0, 0.05, List.of("all-linear")), "nf4", true, 64);
    }

    @Override
    public void validate(QloraConfig config, ConfigProblems problems) {
        new LoraMethodProvider().validate(config.lora(), problems);
        // PiSSA writes the residual W - B·A back into the base weight: a quantised base has no float weight
        problems.check(!String.valueOf(config.initLoraWeights()).toLowerCase(Locale.ROOT).startsWith("pissa"),
                "init_lora_weights", "%s is not supported on a quantised base", config.initLoraWeights());
        String type = config.quantType();
        if ("fp4".equals(type)) {
            problems.add("quant_type", "fp4 is not implemented; use nf4 or int8");
        } else {
            problems.check("nf4".equals(type) || "int8".equals(type), "quant_type",
                    "must be nf4 or int8, was %s", type);
        }
        problems.check(BLOCKSIZES.contains(config.blocksize()), "blocksize",
                "must be one of %s, was %d", BLOCKSIZES, config.blocksize());
    }

    @Override
    public Method create(QloraConfig config, MethodContext context) {
        return new QloraMethod(config, context);
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(LoraMethod.PEFT_TYPE);
    }
}
