package io.finetune4j.peft.qlora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.lora.LoraConfig;
import io.finetune4j.peft.lora.LoraLinear;
import io.finetune4j.peft.lora.LoraMethod;
import io.finetune4j.peft.quant.FourBitType;
import io.finetune4j.peft.quant.Nf4Weights;
import io.finetune4j.peft.quant.QuantizedLinear;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * init_lora_weights: loftq under qlora (PEFT v0.20 peft/utils/loftq_utils.py loftq_init): the stored base must be
 * the Q LoftQ's last round produced, so Q + s·B·A is closer to W than the plain quantised base.
 */
class QloraLoftqTest {
    private static QloraConfig loftq(int iterations, String quantType) {
        LoraConfig lora = new LoraConfig(2, 2.0, 0.0, List.of("q_proj"), List.of(), "none", false, "loftq", Map.of(),
                Map.of(), List.of(), List.of(), List.of(), false, Map.of("loftq_bits", 4, "loftq_iter", iterations),
                null, 1e-6, 0.0);
        return QloraConfig.of(lora, quantType, false, 64);
    }

    @Test
    void quantisedBasePlusAdapterIsCloserToTheFloatWeightThanPlainQuantisation() {
        try (CausalLM model = QloraTinyModels.llama(4)) {
            Linear dense = model.linears().get("model.layers.0.self_attn.q_proj");
            float[] w = dense.weight().toFloatArray(); // Llama: stored = logical [out, in]
            int out = dense.outFeatures();
            int in = dense.inFeatures();
            float[] plain = Nf4Weights.quantize(w, 64, false, FourBitType.NF4).dequantize();

            QloraMethod method = (QloraMethod) new QloraMethodProvider().create(loftq(2, "nf4"),
                    new QloraTinyModels.Context(model, 1));

            LoraLinear layer = ((LoraMethod) method.lora()).layers().get("model.layers.0.self_attn.q_proj");
            assertThat(layer.base()).isInstanceOf(QuantizedLinear.class);
            float[] q;
            try (NDManager scope = model.manager().newSubManager()) {
                q = ((QuantizedLinear) layer.base()).dequantize(scope).toFloatArray();
            }
            float[] a = layer.loraA().toFloatArray();
            float[] b = layer.loraB().toFloatArray();
            double adapted = 0;
            double baseline = 0;
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double update = layer.scaling() * (b[o * 2] * a[i] + b[o * 2 + 1] * a[in + i]);
                    adapted += Math.pow(w[o * in + i] - q[o * in + i] - update, 2);
                    baseline += Math.pow(w[o * in + i] - plain[o * in + i], 2);
                }
            }
            assertThat(Math.sqrt(adapted)).isLessThan(Math.sqrt(baseline));
            // with 2 rounds the base is quant(W - L1·R1), not quant(W)
            assertThat(q).isNotEqualTo(plain);
            // and it is on the grid: quantising it again reproduces it
            assertThat(Nf4Weights.quantize(q, 64, false, FourBitType.NF4).dequantize())
                    .containsExactly(q, within(1e-6f));
        }
    }

    @Test
    void loftqBitsMustMatchTheQuantType() {
        ConfigProblems problems = ConfigProblems.at("m");

        new QloraMethodProvider().validate(loftq(1, "int8"), problems);

        assertThat(problems.messages()).containsExactly("m.loftq_config.loftq_bits: must be 8 with quant_type int8 "
                + "(LoftQ quantises as the base is stored), was 4");
    }
}
