package io.finetune4j.peft.qlora;

import static io.finetune4j.peft.qlora.QloraTinyModels.IDS;
import static io.finetune4j.peft.qlora.QloraTinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.lora.LoraConfig;
import io.finetune4j.peft.quant.FourBitType;
import io.finetune4j.peft.quant.Int8Linear;
import io.finetune4j.peft.quant.Nf4Linear;
import io.finetune4j.peft.quant.Nf4Weights;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.model.DenseLinear;
import io.finetune4j.runtime.train.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QloraMethodTest {
    private static final QloraConfig NF4 = QloraConfig.of(new LoraConfig(2, 4.0, 0.0, List.of("all-linear")), "nf4", true, 64);
    private static final QloraConfig DORA = QloraConfig.of(new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "c_attn"),
            List.of(), "none", false, true, Map.of(), Map.of(), List.of(), List.of(), List.of(), true), "nf4", true, 64);
    private static final QloraConfig FP4 = QloraConfig.of(new LoraConfig(2, 4.0, 0.0, List.of("all-linear")), "fp4", true, 64);
    private static final QloraConfig INT8 = QloraConfig.of(new LoraConfig(2, 4.0, 0.0, List.of("all-linear")), "int8", true, 64);

    private static QloraMethod qlora(CausalLM model, QloraConfig config) {
        return (QloraMethod) new QloraMethodProvider().create(config, new QloraTinyModels.Context(model, 11));
    }

    private static CausalLM model(boolean gpt2, long seed) {
        return gpt2 ? QloraTinyModels.gpt2(seed) : QloraTinyModels.llama(seed);
    }

    /** Sets every non-head linear weight of {@code model} to its NF4 round trip (stored layout kept). */
    private static void roundTripThroughNf4(CausalLM model, int blocksize) {
        roundTrip(model, blocksize, FourBitType.NF4);
    }

    /** Sets every non-head linear weight of {@code model} to its round trip through {@code type} (double quantised). */
    private static void roundTrip(CausalLM model, int blocksize, FourBitType type) {
        for (Linear linear : model.linears().values()) {
            if (linear.name().equals("lm_head")) {
                continue;
            }
            int in = linear.inFeatures();
            int out = linear.outFeatures();
            float[] stored = linear.weight().toFloatArray();
            float[] logical = linear.transposed() ? transpose(stored, in, out) : stored;
            float[] restored = Nf4Weights.quantize(logical, blocksize, true, type).dequantize();
            linear.weight().set(linear.transposed() ? transpose(restored, out, in) : restored);
        }
    }

    /** {@code [rows, cols] -> [cols, rows]}. */
    private static float[] transpose(float[] values, int rows, int cols) {
        float[] result = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                result[c * rows + r] = values[r * cols + c];
            }
        }
        return result;
    }

    private static void randomizeAdapters(QloraMethod method, long seed) {
        Random random = new Random(seed);
        method.trainableParameters().forEach((name, array) -> {
            float[] values = new float[(int) array.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.3);
            }
            array.set(values);
        });
    }

    @Test
    void quantisesEveryLinearButTheOutputLayer() {
        try (CausalLM model = model(false, 1)) {
            QloraMethod method = qlora(model, NF4);

            model.linears().forEach((name, linear) -> {
                if (name.equals("lm_head")) {
                    assertThat(linear).as(name).isInstanceOf(DenseLinear.class);
                } else {
                    assertThat(linear.base()).as(name).isInstanceOf(Nf4Linear.class);
                }
            });
            assertThat(method.trainableParameters().keySet()).allMatch(name -> name.startsWith("base_model.model.")
                    && (name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight")));
            assertThat(method.trainableParameters()).hasSize(2 * 7 * 2);
            assertThat(method.memory().layers()).isEqualTo(14);
        }
    }

    @Test
    void startsIdenticalToTheQuantisedBase() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM adapted = model(gpt2, 4); CausalLM reference = model(gpt2, 4)) {
                qlora(adapted, NF4);
                roundTripThroughNf4(reference, 64);

                float[] expected = logits(reference);
                float[] actual = logits(adapted);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("gpt2=%s logit %d", gpt2, i).isCloseTo(expected[i], within(1e-5f));
                }
            }
        }
    }

    @Test
    void trainsOnlyLoraParametersAndLossDecreases() {
        try (CausalLM model = model(false, 7)) {
            QloraMethod method = qlora(model, NF4);
            Map<String, byte[]> packedBefore = packed(model);
            List<NDArray> parameters = new ArrayList<>(method.trainableParameters().values());
            NDManager optimizerState = model.manager().newSubManager();
            AdamW adam = new AdamW(parameters, new boolean[parameters.size()], 0.9, 0.999, 1e-8, 0.0, optimizerState);

            float firstLoss = 0;
            float lastLoss = 0;
            for (int step = 0; step < 5; step++) {
                try (NDManager scope = model.manager().newSubManager()) {
                    NDArray ids = scope.create(IDS, new Shape(2, 6));
                    NDArray targets = ids.get(":, 1:");
                    NDArray mask = scope.ones(new Shape(2, 5));
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.forward(ForwardInput.of(ids).withTraining(true)
                                .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();
                        NDArray loss = LossMath.maskedMeanCrossEntropy(logits, targets, mask);
                        System.gc(); // a freed autograd scalar would turn the loss NaN (STACK.md)
                        collector.backward(loss);
                        lastLoss = loss.getFloat();
                        firstLoss = step == 0 ? lastLoss : firstLoss;
                    }
                    adam.step(parameters.stream().map(NDArray::getGradient).toList(), 0.05, 1.0);
                }
            }
            optimizerState.close();

            assertThat(lastLoss).isLessThan(firstLoss);
            packed(model).forEach((name, bytes) -> assertThat(bytes).as(name).containsExactly(packedBefore.get(name)));
        }
    }

    private static Map<String, byte[]> packed(CausalLM model) {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        model.linears().forEach((name, linear) -> {
            if (linear.base() instanceof Nf4Linear layer) {
                bytes.put(name, layer.packedBytes());
            }
        });
        return bytes;
    }

    @Test
    void mergeGivesAPlainFloatModelWithTheAdaptedLogits() {
        assertMergeKeepsLogits(NF4);
    }

    @Test
    void mergeOfAnInt8BaseKeepsTheLogits() {
        assertMergeKeepsLogits(INT8);
    }

    @Test
    void fp4BaseComputesWithTheFp4RoundTripOfEveryWeight() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM adapted = model(gpt2, 5); CausalLM reference = model(gpt2, 5)) {
                QloraMethod method = qlora(adapted, FP4);
                roundTrip(reference, 64, FourBitType.FP4);

                adapted.linears().forEach((name, linear) -> {
                    if (linear.base() instanceof Nf4Linear layer) {
                        assertThat(layer.type()).as(name).isEqualTo(FourBitType.FP4);
                        assertThat(layer.scheme()).as(name).isEqualTo("fp4+dq");
                    }
                });
                assertThat(method.memory().layers()).isEqualTo(gpt2 ? 8 : 14);
                float[] expected = logits(reference);
                float[] actual = logits(adapted);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("gpt2=%s logit %d", gpt2, i).isCloseTo(expected[i], within(1e-5f));
                }
            }
        }
    }

    @Test
    void mergeOnAnFp4BaseKeepsTheLogits() {
        assertMergeKeepsLogits(FP4);
    }

    @Test
    void mergeOfDoraOnAnNf4BaseKeepsTheLogits() {
        assertMergeKeepsLogits(DORA);
    }

    private static void assertMergeKeepsLogits(QloraConfig config) {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = model(gpt2, 8)) {
                QloraMethod method = qlora(model, config);
                randomizeAdapters(method, 3);
                float[] adapted = logits(model);

                method.mergeAndUnload();

                model.linears().forEach((name, linear) ->
                        assertThat(linear).as(name).isInstanceOf(DenseLinear.class));
                model.parameters().forEach((name, array) ->
                        assertThat(array.isReleased()).as(name).isFalse());
                float[] merged = logits(model);
                for (int i = 0; i < adapted.length; i++) {
                    assertThat(merged[i]).as("%s dora=%s gpt2=%s logit %d", config.quantType(), config.useDora(), gpt2, i)
                            .isCloseTo(adapted[i], within(1e-4f));
                }
            }
        }
    }

    @Test
    void int8BaseUsesInt8Layers() {
        try (CausalLM model = model(true, 2)) {
            QloraMethod method = qlora(model, INT8);

            assertThat(model.linears().get("transformer.h.0.attn.c_attn").base()).isInstanceOf(Int8Linear.class);
            // 8 bits + one float32 scale per output row
            assertThat(method.memory().ratio()).isBetween(0.25, 0.40);
        }
    }
}
