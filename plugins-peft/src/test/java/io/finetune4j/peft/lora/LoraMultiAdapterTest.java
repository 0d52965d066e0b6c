package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several named adapters over one base (PEFT's {@code load_adapter}, {@code set_adapter},
 * {@code disable_adapter}, {@code add_weighted_adapter}, {@code delete_adapter}), checked against single-adapter
 * models and against merged weights computed here in double precision.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoraMultiAdapterTest {
    private static final long BASE_SEED = 3;
    /** Adapter a: q and v, r 2, alpha 4 (scaling 2). */
    private static final LoraConfig A = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "v_proj"));
    /** Adapter b: v and down (a module a does not adapt), r 2, alpha 1 (scaling 0.5). */
    private static final LoraConfig B = new LoraConfig(2, 1.0, 0.0, List.of("v_proj", "down_proj"));
    /** Adapter c: rank 3 on q, for cat and the rank check. */
    private static final LoraConfig C = new LoraConfig(3, 6.0, 0.0, List.of("q_proj"));

    @TempDir
    static Path temp;

    private Path dirA;
    private Path dirB;
    private Path dirC;

    @BeforeAll
    void saveAdapters() {
        dirA = save(A, "a", 11);
        dirB = save(B, "b", 12);
        dirC = save(C, "c", 13);
    }

    /** A trained-looking adapter (random A and B) of the tiny Llama, saved in PEFT's layout. */
    private Path save(LoraConfig config, String name, long seed) {
        Path dir = temp.resolve(name);
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = new LoraMethod(config, model, seed);
            Random random = new Random(seed);
            for (LoraLinear layer : method.layers().values()) {
                layer.loraB().set(gaussian(random, layer.loraB().size()));
            }
            method.saveAdapter(dir, "tiny");
        }
        return dir;
    }

    private static float[] gaussian(Random random, long size) {
        float[] values = new float[Math.toIntExact(size)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.5 * random.nextGaussian());
        }
        return values;
    }

    /** The adapter in {@code dir} alone, put on the model the way a pipeline's single adapter is. */
    private static float[] singleAdapterLogits(Path dir, LoraConfig config) {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            new LoraMethodProvider().create(config, new TinyModels.Context(model, 99)).loadAdapter(dir);
            return logits(model);
        }
    }

    private static float[] baseLogits() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            return logits(model);
        }
    }

    @Test
    void switchingGivesEachSingleAdapterModelExactly() {
        float[] onlyA = singleAdapterLogits(dirA, A);
        float[] onlyB = singleAdapterLogits(dirB, B);
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");

            assertThat(method.adapterNames()).containsExactly("a", "b");
            assertThat(method.activeAdapters()).containsExactly("a");
            assertThat(logits(model)).as("a stays active after loading b").containsExactly(onlyA);
            method.setAdapter("b");
            assertThat(logits(model)).containsExactly(onlyB);
            method.setAdapter("a");
            assertThat(logits(model)).containsExactly(onlyA);
            assertThat(onlyA).isNotEqualTo(onlyB);
        }
    }

    @Test
    void secondAdapterWrapsModulesTheFirstDidNotTarget() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            assertThat(model.linears().get("model.layers.0.mlp.down_proj")).isNotInstanceOf(LoraLinear.class);

            method.loadAdapter(dirB, "b");

            LoraLinear down = (LoraLinear) model.linears().get("model.layers.0.mlp.down_proj");
            assertThat(down.adapterNames()).containsExactly("b");
            LoraLinear v = (LoraLinear) model.linears().get("model.layers.1.self_attn.v_proj");
            assertThat(v.adapterNames()).containsExactly("a", "b");
            assertThat(method.allLayers()).hasSize(2 * 3);
        }
    }

    @Test
    void disabledAndNoActiveAdapterEqualTheBareBaseBitForBit() {
        float[] base = baseLogits();
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            method.setAdapters(List.of("a", "b"));
            assertThat(logits(model)).isNotEqualTo(base);

            try (AdapterScope off = method.disableAdapter()) {
                assertThat(logits(model)).containsExactly(base);
            }
            assertThat(logits(model)).isNotEqualTo(base);
            method.setAdapters(List.of());
            assertThat(logits(model)).containsExactly(base);
        }
    }

    @Test
    void baseWeightsStayBitIdenticalAndExistOnce() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            Map<String, float[]> before = TinyModels.snapshot(model);
            long count = model.parameterCount();
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            method.loadAdapter(dirC, "c");
            method.addWeightedAdapter(List.of("a", "c"), List.of(0.5, 1.5), "ac", "cat");
            method.setAdapters(List.of("ac", "b"));
            logits(model);
            method.deleteAdapter("c");

            assertThat(model.parameterCount()).isEqualTo(count);
            assertThat(model.parameters().keySet()).containsExactlyElementsOf(before.keySet());
            Map<String, float[]> after = TinyModels.snapshot(model);
            before.forEach((name, values) -> assertThat(after.get(name)).as(name).containsExactly(values));
            for (LoraLinear layer : method.allLayers().values()) {
                // the wrapper computes with the very array the model lists, not a copy
                assertThat(layer.weight()).isSameAs(model.parameters().get(layer.name() + ".weight"));
            }
        }
    }

    @Test
    void linearCombinationFollowsPeftsSeparateSumsOfAAndB() {
        List<Double> weights = List.of(0.7, -0.4);
        float[] expected;
        float[] weightedSumOfDeltas;
        float[] actual;
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            Map<String, double[]> peft = new LinkedHashMap<>();
            Map<String, double[]> sum = new LinkedHashMap<>();
            for (LoraLinear layer : method.allLayers().values()) {
                peft.put(layer.name(), linearDelta(layer, List.of("a", "b"), weights, List.of(2.0, 0.5)));
                sum.put(layer.name(), weightedDeltaSum(layer, List.of("a", "b"), weights, List.of(2.0, 0.5)));
            }

            method.addWeightedAdapter(List.of("a", "b"), weights, "mix", "linear");
            method.setAdapter("mix");
            actual = logits(model);
            assertThat(method.config("mix").r()).isEqualTo(2);
            assertThat(method.config("mix").loraAlpha()).isEqualTo(2.0);
            assertThat(method.allLayers().get("model.layers.0.mlp.down_proj").scaling("mix")).isEqualTo(1.0);
            expected = mergedLogits(peft);
            weightedSumOfDeltas = mergedLogits(sum);
        }
        assertFloats(actual, expected, 2e-5);
        // The cross terms B_a·A_b make it a different function from Σ w_i s_i B_i A_i.
        assertThat(maxDifference(expected, weightedSumOfDeltas)).isGreaterThan(1e-3);
    }

    @Test
    void catCombinationIsExactlyTheWeightedSumOfDeltas() {
        List<Double> weights = List.of(0.5, 1.5, -0.25);
        List<String> names = List.of("a", "c", "b");
        float[] expected;
        float[] actual;
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            method.loadAdapter(dirC, "c");
            Map<String, double[]> sum = new LinkedHashMap<>();
            for (LoraLinear layer : method.allLayers().values()) {
                sum.put(layer.name(), weightedDeltaSum(layer, names, weights, List.of(2.0, 2.0, 0.5)));
            }

            method.addWeightedAdapter(names, weights, "mix", "cat");
            method.setAdapter("mix");
            actual = logits(model);
            assertThat(method.config("mix").r()).isEqualTo(2 + 3 + 2);
            assertThat(method.allLayers().get("model.layers.0.self_attn.q_proj").loraA("mix").getShape().get(0))
                    .isEqualTo(7);
            expected = mergedLogits(sum);
        }
        assertFloats(actual, expected, 2e-5);
    }

    @Test
    void svdCombinationKeepsTheTopSingularDirectionsOfPeftsDoublyScaledSum() {
        List<Double> weights = List.of(0.6, 0.3);
        float[] expected;
        float[] actual;
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            Map<String, double[]> sum = new LinkedHashMap<>();
            for (LoraLinear layer : method.allLayers().values()) {
                // PEFT weights get_delta_weight (already s·B·A) by w·s again
                sum.put(layer.name(), weightedDeltaSum(layer, List.of("a", "b"), List.of(0.6 * 2.0, 0.3 * 0.5),
                        List.of(2.0, 0.5)));
            }

            // rank 4 holds the whole rank-<=4 sum, so the truncation loses nothing
            method.addWeightedAdapter(List.of("a", "b"), weights, "mix", "svd", 4);
            method.setAdapter("mix");
            actual = logits(model);
            expected = mergedLogits(sum);
        }
        assertFloats(actual, expected, 2e-5);
    }

    @Test
    void linearRejectsUnequalRanksAndNamesThem() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirC, "c");

            assertThatThrownBy(() -> method.addWeightedAdapter(List.of("a", "c"), List.of(1.0, 1.0), "mix", "linear"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("combination 'linear' needs adapters of one rank, but [a, c] have ranks [2, 3]; "
                            + "use 'cat' (or 'svd')");
            assertThatThrownBy(() -> method.setAdapter("nope"))
                    .hasMessage("no adapter named 'nope'; loaded: [a, c]");
            assertThat(method.adapterNames()).containsExactly("a", "c");
        }
    }

    @Test
    void modulesToSaveServeOnlyWhileTheirAdapterIsActive() {
        LoraConfig withSaved = new LoraConfig(2, 4.0, 0.0, List.of("q_proj"), List.of(), "none", false, true,
                Map.of(), Map.of(), List.of(), List.of(), List.of("o_proj"), false);
        Path dirSaved = temp.resolve("saved");
        float[] savedAlone;
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = new LoraMethod(withSaved, model, 5);
            Random random = new Random(5);
            method.trainableParameters().forEach((name, array) -> {
                if (name.contains("lora_B") || name.endsWith("o_proj.weight")) {
                    array.set(gaussian(random, array.size()));
                }
            });
            savedAlone = logits(model);
            method.saveAdapter(dirSaved, "tiny");
        }
        float[] onlyB = singleAdapterLogits(dirB, B);
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirSaved, "saved");
            method.loadAdapter(dirB, "b");
            assertThat(logits(model)).containsExactly(savedAlone);

            method.setAdapter("b");
            assertThat(logits(model)).containsExactly(onlyB);
            method.setAdapter("saved");
            assertThat(logits(model)).containsExactly(savedAlone);
        }
    }

    @Test
    void gpt2Conv1dAdaptersSwitchExactlyAndCatMergesInTheStoredLayout() {
        LoraConfig attention = new LoraConfig(2, 4.0, 0.0, List.of("c_attn"));
        LoraConfig projections = new LoraConfig(1, 3.0, 0.0, List.of("c_attn", "c_fc"));
        Path first = temp.resolve("g1");
        Path second = temp.resolve("g2");
        float[][] alone = new float[2][];
        int index = 0;
        for (Object[] adapter : new Object[][] {{attention, first}, {projections, second}}) {
            try (CausalLM model = TinyModels.gpt2(BASE_SEED)) {
                LoraMethod method = new LoraMethod((LoraConfig) adapter[0], model, 7 + index);
                Random random = new Random(7 + index);
                method.layers().values().forEach(layer -> layer.loraB().set(gaussian(random, layer.loraB().size())));
                alone[index++] = logits(model);
                method.saveAdapter((Path) adapter[1], "tiny-gpt2");
            }
        }
        float[] actual;
        Map<String, double[]> sum = new LinkedHashMap<>();
        try (CausalLM model = TinyModels.gpt2(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, first, "one");
            method.loadAdapter(second, "two");
            assertThat(logits(model)).containsExactly(alone[0]);
            method.setAdapter("two");
            assertThat(logits(model)).containsExactly(alone[1]);

            for (LoraLinear layer : method.allLayers().values()) {
                sum.put(layer.name(), weightedDeltaSum(layer, List.of("one", "two"), List.of(0.5, 2.0), List.of(2.0, 3.0)));
            }
            method.addWeightedAdapter(List.of("one", "two"), List.of(0.5, 2.0), "mix", "cat");
            method.setAdapter("mix");
            actual = logits(model);
        }
        float[] expected;
        try (CausalLM model = TinyModels.gpt2(BASE_SEED)) {
            sum.forEach((module, delta) -> {
                var weight = model.parameters().get(module + ".weight");   // Conv1D: stored [in, out]
                int out = Math.toIntExact(weight.getShape().get(1));
                int in = Math.toIntExact(weight.getShape().get(0));
                float[] values = weight.toFloatArray();
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        values[i * out + o] = (float) (values[i * out + o] + delta[o * in + i]);
                    }
                }
                weight.set(values);
            });
            expected = logits(model);
        }
        assertFloats(actual, expected, 2e-5);
    }

    @Test
    void aDoraAdapterBesideALoraAdapterSwitchesExactly() {
        LoraConfig dora = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "v_proj"), List.of(), "none", false, true,
                Map.of(), Map.of(), List.of(), List.of(), List.of(), true);
        Path dirDora = temp.resolve("dora");
        float[] doraAlone;
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = new LoraMethod(dora, model, 21);
            Random random = new Random(21);
            method.trainableParameters().forEach((name, array) -> {
                if (!name.contains("lora_A")) {
                    array.set(gaussian(random, array.size()));
                }
            });
            doraAlone = logits(model);
            method.saveAdapter(dirDora, "tiny");
        }
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirDora, "dora");
            method.setAdapter("dora");

            assertThat(logits(model)).containsExactly(doraAlone);
            assertThatThrownBy(() -> method.addWeightedAdapter(List.of("a", "dora"), List.of(1.0, 1.0), "mix", "cat"))
                    .hasMessage("adapter 'dora' uses DoRA; add_weighted_adapter combines plain LoRA adapters only");
        }
    }

    @Test
    void onlyTheCurrentAdapterTrains() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");

            method.setAdapter("b");

            assertThat(method.trainableParameters().keySet()).containsExactly(
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                    "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight",
                    "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight",
                    "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight",
                    "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
            assertThat(method.trainableParameters().values()).allMatch(array -> array.hasGradient());
            LoraLinear q = method.allLayers().get("model.layers.0.self_attn.q_proj");
            assertThat(q.loraA("a").hasGradient()).isFalse();
            assertThat(model.parameters().values()).noneMatch(array -> array.hasGradient());
        }
    }

    @Test
    void fromPretrainedReadsThePeftConfig() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirC, "c");

            assertThat(method.config()).isEqualTo(new LoraConfig(3, 6.0, 0.0, List.of("q_proj")));
            assertThat(method.activeAdapter()).isEqualTo("c");
        }
    }

    @Test
    void combiningUnderATakenNameChangesNothingAsInPeft() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            float[] before = logits(model);

            method.addWeightedAdapter(List.of("b"), List.of(3.0), "a", "linear");

            assertThat(method.adapterNames()).containsExactly("a", "b");
            assertThat(logits(model)).containsExactly(before);
        }
    }

    @Test
    void loadingATakenNameIsAnError() {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");

            assertThatThrownBy(() -> method.loadAdapter(dirB, "a"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("an adapter named 'a' is already loaded");
        }
    }

    @Test
    void deleteRestoresModulesNoAdapterAdaptsAndFallsBackToTheFirstAdapter() {
        float[] onlyA = singleAdapterLogits(dirA, A);
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, "a");
            method.loadAdapter(dirB, "b");
            method.setAdapter("b");

            method.deleteAdapter("b");

            assertThat(method.adapterNames()).containsExactly("a");
            assertThat(method.activeAdapters()).containsExactly("a");
            Linear down = model.linears().get("model.layers.0.mlp.down_proj");
            assertThat(down.base()).isSameAs(down);
            assertThat(logits(model)).containsExactly(onlyA);
        }
    }

    @Test
    void savesNonDefaultAdaptersInSubfoldersAsPeftDoes() {
        float[] onlyB = singleAdapterLogits(dirB, B);
        Path out = temp.resolve("out");
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, LoraLinear.DEFAULT_ADAPTER);
            method.loadAdapter(dirB, "b");

            method.saveAdapter(out, "tiny");
        }
        assertThat(out.resolve("adapter_config.json")).exists();
        assertThat(out.resolve("b").resolve("adapter_model.safetensors")).exists();
        assertThat(singleAdapterLogits(out.resolve("b"), B)).containsExactly(onlyB);
        assertThat(singleAdapterLogits(out, A)).containsExactly(singleAdapterLogits(dirA, A));

        Path selected = temp.resolve("selected");
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            LoraMethod method = LoraMethod.fromPretrained(model, dirA, LoraLinear.DEFAULT_ADAPTER);
            method.loadAdapter(dirB, "b");
            method.saveAdapters(selected, List.of("b"), "tiny");
        }
        assertThat(Files.exists(selected.resolve("adapter_config.json"))).isFalse();
        assertThat(singleAdapterLogits(selected.resolve("b"), B)).containsExactly(onlyB);
    }

    // ---- independent computations ----

    /** PEFT's linear combination's update in {@code layer}, logical {@code [out, in]}, computed here. */
    private static double[] linearDelta(LoraLinear layer, List<String> names, List<Double> weights,
                                        List<Double> scalings) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        int r = 2;
        double[] a = new double[r * in];
        double[] b = new double[out * r];
        for (int n = 0; n < names.size(); n++) {
            if (!layer.adapterNames().contains(names.get(n))) {
                continue;
            }
            double ws = weights.get(n) * scalings.get(n);
            double root = Math.sqrt(Math.abs(ws));
            float[] an = layer.loraA(names.get(n)).toFloatArray();
            float[] bn = layer.loraB(names.get(n)).toFloatArray();
            for (int j = 0; j < a.length; j++) {
                a[j] += Math.signum(ws) * root * an[j];
            }
            for (int j = 0; j < b.length; j++) {
                b[j] += root * bn[j];
            }
        }
        return product(b, a, out, r, in, 1.0);
    }

    /** {@code Σ w_i s_i B_i A_i} in {@code layer}, logical {@code [out, in]}. */
    private static double[] weightedDeltaSum(LoraLinear layer, List<String> names, List<Double> weights,
                                             List<Double> scalings) {
        double[] sum = new double[layer.outFeatures() * layer.inFeatures()];
        for (int n = 0; n < names.size(); n++) {
            if (!layer.adapterNames().contains(names.get(n))) {
                continue;
            }
            float[] an = layer.loraA(names.get(n)).toFloatArray();
            float[] bn = layer.loraB(names.get(n)).toFloatArray();
            int r = an.length / layer.inFeatures();
            double[] delta = product(toDouble(bn), toDouble(an), layer.outFeatures(), r, layer.inFeatures(),
                    weights.get(n) * scalings.get(n));
            for (int j = 0; j < sum.length; j++) {
                sum[j] += delta[j];
            }
        }
        return sum;
    }

    private static double[] product(double[] b, double[] a, int out, int r, int in, double factor) {
        double[] result = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double value = 0;
                for (int k = 0; k < r; k++) {
                    value += b[o * r + k] * a[k * in + i];
                }
                result[o * in + i] = factor * value;
            }
        }
        return result;
    }

    private static double[] toDouble(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    /** Logits of a bare base model whose weights are {@code W + delta} (Llama: stored {@code [out, in]}). */
    private static float[] mergedLogits(Map<String, double[]> deltas) {
        try (CausalLM model = TinyModels.llama(BASE_SEED)) {
            deltas.forEach((module, delta) -> {
                var weight = model.parameters().get(module + ".weight");
                float[] values = weight.toFloatArray();
                for (int j = 0; j < values.length; j++) {
                    values[j] = (float) (values[j] + delta[j]);
                }
                weight.set(values);
            });
            return logits(model);
        }
    }

    private static void assertFloats(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < actual.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > tolerance) {
                wrong.add(i + ": " + actual[i] + " vs " + expected[i]);
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static double maxDifference(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}
