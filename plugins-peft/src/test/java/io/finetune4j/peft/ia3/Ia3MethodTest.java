package io.finetune4j.peft.ia3;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static io.finetune4j.peft.ia3.PeftFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ia3MethodTest {
    private static Ia3Method ia3(CausalLM model) {
        Ia3MethodProvider provider = new Ia3MethodProvider();
        return (Ia3Method) provider.create(provider.defaults(), new PeftFixtures.Context(model, 5));
    }

    @Test
    void startsAsTheIdentity() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 3)) {
                float[] base = logits(model);
                Ia3Method method = ia3(model);

                assertThat(method.trainableParameters().values()).allMatch(v -> maxDiff(v.toFloatArray(),
                        ones(v.size())) == 0);
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    /** PEFT v0.20 maps qwen2 to [q_proj, v_proj, down_proj], where llama has k_proj. */
    @Test
    void qwen2DefaultsTargetTheQueryAsPeft() {
        try (CausalLM model = ModelFactory.random(ModelFactory.llamaFamilyConfig("qwen2", PeftFixtures.VOCAB, 8, 2,
                2, 1, 16, 64, false), null, null, 3, Device.cpu())) {
            Ia3Method method = ia3(model);

            assertThat(method.layers().keySet()).containsExactly("model.layers.0.self_attn.q_proj",
                    "model.layers.0.self_attn.v_proj", "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj",
                    "model.layers.1.self_attn.v_proj", "model.layers.1.mlp.down_proj");
            assertThat(method.trainableParameters().get("base_model.model.model.layers.0.self_attn.q_proj.ia3_l")
                    .getShape()).isEqualTo(new Shape(8, 1));
        }
    }

    @Test
    void vectorsHavePeftNamesShapesAndCount() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            Ia3Method method = ia3(model);
            Map<String, NDArray> parameters = method.trainableParameters();

            assertThat(parameters.get("base_model.model.model.layers.0.self_attn.k_proj.ia3_l").getShape())
                    .isEqualTo(new Shape(4, 1));
            assertThat(parameters.get("base_model.model.model.layers.1.mlp.down_proj.ia3_l").getShape())
                    .isEqualTo(new Shape(1, 16));
            assertThat(parameters).hasSize(6);
            ModelConfig c = model.config();
            // PEFT: out for k/v (kv_heads · head_dim), in for the feed-forward down_proj (intermediate)
            long expected = (long) c.numHiddenLayers() * (2L * c.numKeyValueHeads() * c.headDim() + c.intermediateSize());
            assertThat(method.trainableParameterCount()).isEqualTo(expected).isEqualTo(48);
        }
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            Ia3Method method = ia3(model);

            assertThat(method.layers().keySet()).containsExactly("transformer.h.0.attn.c_attn",
                    "transformer.h.0.mlp.c_proj", "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_proj");
            ModelConfig c = model.config();
            assertThat(method.trainableParameterCount())
                    .isEqualTo((long) c.numHiddenLayers() * (3L * c.hiddenSize() + c.intermediateSize())).isEqualTo(112);
        }
    }

    @Test
    void layerForwardMatchesADoubleComputation() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 4)) {
                Ia3Method method = ia3(model);
                PeftFixtures.randomize(method, 9, 1.0, 0.5);
                for (Ia3Linear layer : method.layers().values()) {
                    int in = layer.inFeatures();
                    int out = layer.outFeatures();
                    double[] x = new double[3 * in];
                    Random random = new Random(2);
                    for (int i = 0; i < x.length; i++) {
                        x[i] = random.nextGaussian();
                    }
                    float[] actual;
                    try (NDManager step = model.manager().newSubManager()) {
                        actual = layer.forward(step.create(toFloats(x), new Shape(3, in)), false).toFloatArray();
                    }
                    float[] w = layer.weight().toFloatArray();
                    float[] bias = layer.bias().map(NDArray::toFloatArray).orElse(new float[out]);
                    float[] l = layer.vector().toFloatArray();
                    for (int row = 0; row < 3; row++) {
                        for (int o = 0; o < out; o++) {
                            double sum = 0;
                            for (int i = 0; i < in; i++) {
                                double weight = layer.transposed() ? w[i * out + o] : w[o * in + i];
                                sum += weight * x[row * in + i] * (layer.feedforward() ? l[i] : 1.0);
                            }
                            double expected = layer.feedforward() ? sum + bias[o] : (sum + bias[o]) * l[o];
                            assertThat((double) actual[row * out + o]).as(layer.name())
                                    .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
                        }
                    }
                }
            }
        }
    }

    @Test
    void disabledAdaptersGiveTheBase() {
        try (CausalLM model = PeftFixtures.gpt2(6)) {
            float[] base = logits(model);
            Ia3Method method = ia3(model);
            PeftFixtures.randomize(method, 1, 1.0, 0.3);

            assertThat(maxDiff(logits(model), base)).isGreaterThan(1e-3);
            try (AdapterScope off = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    @Test
    void mergedLogitsEqualAdaptedLogits() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 8)) {
                Ia3Method method = ia3(model);
                PeftFixtures.randomize(method, 4, 1.0, 0.4);
                float[] adapted = logits(model);

                method.mergeAndUnload();

                assertThat(model.linears().values()).allMatch(layer -> layer.base() == layer);
                assertThat(maxDiff(logits(model), adapted)).as(gpt2 ? "gpt2" : "llama").isLessThan(1e-4);
                assertThatThrownBy(() -> method.saveAdapter(Path.of("unused"), "x"))
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void trainingChangesOnlyTheVectors() {
        try (CausalLM model = PeftFixtures.llama(7)) {
            Ia3Method method = ia3(model);
            Map<String, float[]> baseBefore = snapshot(model.parameters());
            Map<String, float[]> vectorsBefore = snapshot(method.trainableParameters());

            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
            snapshot(model.parameters()).forEach((name, values) ->
                    assertThat(values).as(name).containsExactly(baseBefore.get(name)));
            method.trainableParameters().forEach((name, array) ->
                    assertThat(array.toFloatArray()).as(name).isNotEqualTo(vectorsBefore.get(name)));
        }
    }

    @Test
    void savedAdapterReproducesLogitsAndUsesPeftLayout(@TempDir Path dir) throws Exception {
        float[] adapted;
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            Ia3Method method = ia3(model);
            PeftFixtures.randomize(method, 3, 1.0, 0.5);
            adapted = logits(model);
            method.saveAdapter(dir, "tiny-gpt2");
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(json.get("peft_type").asText()).isEqualTo("IA3");
        assertThat(json.get("target_modules").toString()).isEqualTo("[\"c_attn\",\"mlp.c_proj\"]");
        assertThat(json.get("feedforward_modules").toString()).isEqualTo("[\"mlp.c_proj\"]");
        assertThat(json.get("fan_in_fan_out").asBoolean()).isTrue();
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(reader.info("base_model.model.transformer.h.0.attn.c_attn.ia3_l").orElseThrow().shape())
                    .isEqualTo(new Shape(24, 1));
            assertThat(reader.info("base_model.model.transformer.h.0.mlp.c_proj.ia3_l").orElseThrow().shape())
                    .isEqualTo(new Shape(1, 32));
        }
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            Ia3Method method = ia3(model);
            method.loadAdapter(dir);
            assertThat(logits(model)).containsExactly(adapted);
        }
    }

    @Test
    void loadRejectsAnotherPeftType(@TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\"}");
        try (CausalLM model = PeftFixtures.llama(2)) {
            Ia3Method method = ia3(model);
            assertThatThrownBy(() -> method.loadAdapter(dir)).isInstanceOf(ConfigException.class)
                    .hasMessage(dir.resolve("adapter_config.json") + ": peft_type is 'LORA', expected 'IA3'");
        }
    }

    @Test
    void rejectsATargetThatMatchesNothing() {
        try (CausalLM model = PeftFixtures.llama(2)) {
            assertThatThrownBy(() -> new Ia3MethodProvider().create(new Ia3Config(List.of("kk_proj"), List.of()),
                    new PeftFixtures.Context(model, 1)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("target_modules: 'kk_proj' matches no module; modules are: [q_proj, k_proj, v_proj,"
                            + " o_proj, gate_proj, up_proj, down_proj, lm_head]");
        }
    }

    @Test
    void forwardAndTrainingLeaveNothingInTheModelsManager() {
        try (CausalLM model = PeftFixtures.gpt2(5)) {
            Ia3Method method = ia3(model);
            logits(model);
            int before = model.manager().getManagedArrays().size();

            logits(model);
            PeftFixtures.train(model, method, input -> input);

            assertThat(model.manager().getManagedArrays()).hasSize(before);
        }
    }

    private static float[] ones(long size) {
        float[] values = new float[Math.toIntExact(size)];
        java.util.Arrays.fill(values, 1f);
        return values;
    }

    private static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }
}
