package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.IDS;
import static io.finetune4j.peft.lora.TinyModels.logits;
import static io.finetune4j.peft.lora.TinyModels.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.Linear;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.train.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoraMethodTest {
    private static final LoraConfig CONFIG = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "v_proj", "c_attn"));

    private static LoraMethod lora(CausalLM model, LoraConfig config) {
        return (LoraMethod) new LoraMethodProvider().create(config, new TinyModels.Context(model, 11));
    }

    /** Gives every B random values, so the adapters change the output. */
    private static void randomizeB(LoraMethod method, long seed) {
        Random random = new Random(seed);
        for (LoraLinear layer : method.layers().values()) {
            float[] values = new float[(int) layer.loraB().size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.5);
            }
            layer.loraB().set(values);
        }
    }

    @Test
    void adaptsTheTargetsWithPeftNamesAndShapes() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = lora(model, CONFIG);

            assertThat(method.layers()).containsOnlyKeys("model.layers.0.self_attn.q_proj",
                    "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj",
                    "model.layers.1.self_attn.v_proj");
            assertThat(model.linears().get("model.layers.1.self_attn.v_proj")).isInstanceOf(LoraLinear.class);
            Map<String, NDArray> trainable = method.trainableParameters();
            assertThat(trainable.keySet()).startsWith(
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
            // q_proj: 8 -> 8; v_proj: 8 -> 4 (one KV head of dim 4)
            assertThat(trainable.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").getShape())
                    .isEqualTo(new Shape(2, 8));
            assertThat(trainable.get("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight").getShape())
                    .isEqualTo(new Shape(4, 2));
        }
    }

    @Test
    void trainableParameterCountIsRTimesInPlusOutPerTarget() {
        try (CausalLM model = TinyModels.llama(1)) {
            long expected = 0;
            for (Linear linear : model.linears().values()) {
                if (linear.name().endsWith("q_proj") || linear.name().endsWith("v_proj")) {
                    expected += 2L * (linear.inFeatures() + linear.outFeatures());
                }
            }

            assertThat(lora(model, CONFIG).trainableParameterCount()).isEqualTo(expected).isEqualTo(2 * 2 * (16 + 12));
        }
    }

    @Test
    void freezesTheBaseAndTrainsOnlyAdapters() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = lora(model, CONFIG);

            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
            assertThat(method.trainableParameters().values()).allMatch(NDArray::hasGradient);
        }
    }

    @Test
    void initialisesAWithKaimingUniformBoundAndBWithZeros() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraLinear layer = lora(model, CONFIG).layers().get("model.layers.0.self_attn.q_proj");

            double bound = 1 / Math.sqrt(8);
            float[] a = layer.loraA().toFloatArray();
            double largest = 0;
            for (float value : a) {
                assertThat((double) value).isBetween(-bound, bound);
                largest = Math.max(largest, Math.abs(value));
            }
            assertThat(largest).isGreaterThan(bound / 2); // uniform over the whole range, not a narrow one
            assertThat(layer.loraB().toFloatArray()).containsOnly(0f);
        }
    }

    @Test
    void adaptedLogitsEqualBaseLogitsAtInit() {
        try (CausalLM model = TinyModels.llama(3)) {
            float[] base = logits(model);

            lora(model, new LoraConfig(2, 16.0, 0.0, List.of("all-linear")));

            assertThat(logits(model)).containsExactly(base);
        }
    }

    @Test
    void layerMatchesDoubleLoopForLinearAndConv1d() {
        for (CausalLM model : List.of(TinyModels.llama(5), TinyModels.gpt2(5))) {
            try (model) {
                LoraMethod method = lora(model, CONFIG);
                randomizeB(method, 9);
                LoraLinear layer = method.layers().values().iterator().next();
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                float[] x = new float[3 * in];
                Random random = new Random(2);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                float[] w = layer.weight().toFloatArray();
                float[] bias = layer.bias().map(NDArray::toFloatArray).orElse(new float[out]);
                float[] a = layer.loraA().toFloatArray();
                float[] b = layer.loraB().toFloatArray();
                float[] actual;
                try (NDManager step = model.manager().newSubManager()) {
                    actual = layer.forward(step.create(x, new Shape(3, in)), false).toFloatArray();
                }

                for (int row = 0; row < 3; row++) {
                    for (int o = 0; o < out; o++) {
                        double y = bias[o];
                        for (int i = 0; i < in; i++) {
                            // nn.Linear stores [out, in]; Conv1D stores [in, out]
                            double weight = layer.transposed() ? w[i * out + o] : w[o * in + i];
                            y += weight * x[row * in + i];
                        }
                        double update = 0;
                        for (int k = 0; k < 2; k++) {
                            double down = 0;
                            for (int i = 0; i < in; i++) {
                                down += a[k * in + i] * x[row * in + i];
                            }
                            update += b[o * 2 + k] * down;
                        }
                        y += update * 4.0 / 2;
                        assertThat((double) actual[row * out + o]).as("%s [%d, %d]", layer.name(), row, o)
                                .isCloseTo(y, within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void disablingAdaptersGivesTheBaseModelExactly() {
        try (CausalLM model = TinyModels.gpt2(4)) {
            float[] base = logits(model);
            LoraMethod method = lora(model, CONFIG);
            randomizeB(method, 1);

            assertThat(logits(model)).isNotEqualTo(base);
            try (AdapterScope ignored = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    @Test
    void trainingChangesOnlyLoraTensors() {
        try (CausalLM model = TinyModels.llama(7)) {
            LoraMethod method = lora(model, CONFIG);
            Map<String, float[]> baseBefore = snapshot(model);
            Map<String, float[]> adapterBefore = new java.util.LinkedHashMap<>();
            method.trainableParameters().forEach((name, array) -> adapterBefore.put(name, array.toFloatArray()));
            List<NDArray> parameters = new ArrayList<>(method.trainableParameters().values());
            NDManager optimizerState = model.manager().newSubManager();
            AdamW adam = new AdamW(parameters, new boolean[parameters.size()], 0.9, 0.999, 1e-8, 0.0, optimizerState);

            float firstLoss = 0;
            float lastLoss = 0;
            for (int step = 0; step < 4; step++) {
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
            snapshot(model).forEach((name, values) ->
                    assertThat(values).as(name).containsExactly(baseBefore.get(name)));
            method.trainableParameters().forEach((name, array) ->
                    assertThat(array.toFloatArray()).as(name).isNotEqualTo(adapterBefore.get(name)));
        }
    }

    @Test
    void adaptedLogitsEqualAModelWithHandMergedWeights() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM adapted = gpt2 ? TinyModels.gpt2(8) : TinyModels.llama(8);
                 CausalLM merged = gpt2 ? TinyModels.gpt2(8) : TinyModels.llama(8)) {
                LoraMethod method = lora(adapted, CONFIG);
                randomizeB(method, 3);
                for (LoraLinear layer : method.layers().values()) {
                    merged.parameters().get(layer.name() + ".weight").set(handMerged(layer, CONFIG.scaling()));
                }

                float[] expected = logits(merged);
                float[] actual = logits(adapted);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("gpt2=%s logit %d", gpt2, i).isCloseTo(expected[i], within(1e-4f));
                }
            }
        }
    }

    @Test
    void mergeAndUnloadFoldsTheUpdateIntoTheBase() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = gpt2 ? TinyModels.gpt2(6) : TinyModels.llama(6)) {
                LoraMethod method = lora(model, CONFIG);
                randomizeB(method, 4);
                float[] adapted = logits(model);
                List<LoraLinear> layers = List.copyOf(method.layers().values());
                List<float[]> expectedWeights = layers.stream().map(l -> handMerged(l, CONFIG.scaling())).toList();

                assertThat(method.canMerge()).isTrue();
                method.mergeAndUnload();

                assertThat(model.linears().values()).noneMatch(LoraLinear.class::isInstance);
                assertThat(method.trainableParameters()).isEmpty();
                for (int i = 0; i < layers.size(); i++) {
                    float[] weight = model.parameters().get(layers.get(i).name() + ".weight").toFloatArray();
                    for (int j = 0; j < weight.length; j++) {
                        assertThat(weight[j]).isCloseTo(expectedWeights.get(i)[j], within(1e-6f));
                    }
                }
                float[] merged = logits(model);
                for (int i = 0; i < adapted.length; i++) {
                    assertThat(merged[i]).as("gpt2=%s logit %d", gpt2, i).isCloseTo(adapted[i], within(1e-4f));
                }
                assertThatThrownBy(() -> method.saveAdapter(java.nio.file.Path.of("unused"), "base"))
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void rejectsATargetThatMatchesNothing() {
        try (CausalLM model = TinyModels.llama(1)) {
            assertThatThrownBy(() -> lora(model, new LoraConfig(2, 2.0, 0.0, List.of("qq_proj"))))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("target_modules: 'qq_proj' matches no module; modules are: [q_proj, k_proj, v_proj,"
                            + " o_proj, gate_proj, up_proj, down_proj, lm_head]");
            assertThat(model.linears().values()).noneMatch(LoraLinear.class::isInstance);
        }
    }

    @Test
    void dropoutOnlyActsWhileTraining() {
        try (CausalLM model = TinyModels.llama(2)) {
            LoraMethod method = lora(model, new LoraConfig(2, 2.0, 0.5, List.of("q_proj")));
            randomizeB(method, 5);
            LoraLinear layer = method.layers().values().iterator().next();
            try (NDManager step = model.manager().newSubManager()) {
                NDArray x = step.ones(new Shape(4, 8));
                float[] eval1 = layer.forward(x, false).toFloatArray();
                float[] eval2 = layer.forward(x, false).toFloatArray();
                float[] train = layer.forward(x, true).toFloatArray();

                assertThat(eval1).containsExactly(eval2);
                assertThat(train).isNotEqualTo(eval1);
            }
        }
    }

    /** The layer's stored weight plus {@code scaling · B·A} in double precision, in the stored layout. */
    static float[] handMerged(LoraLinear layer, double scaling) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        int r = (int) layer.loraA().getShape().get(0);
        float[] w = layer.weight().toFloatArray();
        float[] a = layer.loraA().toFloatArray();
        float[] b = layer.loraB().toFloatArray();
        float[] merged = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double delta = 0;
                for (int k = 0; k < r; k++) {
                    delta += (double) b[o * r + k] * a[k * in + i];
                }
                int index = layer.transposed() ? i * out + o : o * in + i;
                merged[index] = (float) (w[index] + scaling * delta);
            }
        }
        return merged;
    }
}
