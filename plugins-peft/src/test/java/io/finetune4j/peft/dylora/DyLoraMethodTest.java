package io.finetune4j.peft.dylora;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.StepInfo;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.peft.ia3.PeftFixtures;
import io.finetune4j.peft.lora.LoraConfig;
import io.finetune4j.peft.lora.LoraMethodProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DyLoraMethodTest {
    private static final List<String> TARGETS = List.of("q_proj", "v_proj", "c_attn");
    private static final int R = 4;
    private static final double ALPHA = 6.0;

    private static DyLoraMethod dylora(CausalLM model, boolean frozen, int rank) {
        return (DyLoraMethod) new DyLoraMethodProvider().create(
                new DyLoraConfig(R, ALPHA, 0.0, TARGETS, frozen, rank, List.of(2)), new PeftFixtures.Context(model, 5));
    }

    private static double[] gaussian(int size, long seed) {
        Random random = new Random(seed);
        double[] values = new double[size];
        for (int i = 0; i < size; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }

    private static float[] floats(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }

    /** DyLoRA at rank k is LoRA with A[:k], B[:, :k] and scaling alpha / k, summed here in double precision. */
    @Test
    void truncationAtRankKIsLoraOfTheFirstKRowsScaledByAlphaOverK() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            DyLoraMethod method = dylora(model, true, 0);
            PeftFixtures.randomize(method, 7, 0.0, 0.5);
            DyLoraLinear layer = method.layers().get("model.layers.0.self_attn.q_proj");
            int in = layer.inFeatures();
            int out = layer.outFeatures();
            double[] x = gaussian(2 * in, 11);
            float[] a = layer.loraA().toFloatArray();   // [r, in]
            float[] b = layer.loraB().toFloatArray();   // [out, r]
            for (int k = 1; k <= R; k++) {
                method.setInferenceRank(k);
                float[] actual;
                float[] base;
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray input = step.create(floats(x), new Shape(2, in));
                    actual = layer.forward(input, false).toFloatArray();
                    base = layer.base().forward(input, false).toFloatArray();
                }
                for (int row = 0; row < 2; row++) {
                    for (int o = 0; o < out; o++) {
                        double update = 0;
                        for (int j = 0; j < k; j++) {
                            double down = 0;
                            for (int i = 0; i < in; i++) {
                                down += a[j * in + i] * x[row * in + i];
                            }
                            update += b[o * R + j] * down;
                        }
                        double expected = base[row * out + o] + ALPHA / k * update;
                        assertThat((double) actual[row * out + o]).as("rank %d", k).isCloseTo(expected, within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void sampledRanksCoverOneToRUniformlyWithAFixedSeed() {
        int[] counts = new int[R + 1];
        int[] first = new int[50];
        try (CausalLM model = PeftFixtures.llama(3)) {
            DyLoraMethod method = dylora(model, true, 0);
            for (int step = 1; step <= 400; step++) {
                int rank = method.trainingRank();
                assertThat(method.layers().values()).allMatch(layer -> layer.trainingRank() == rank);
                counts[rank]++;
                if (step <= first.length) {
                    first[step - 1] = rank;
                }
                method.afterStep(new StepInfo(step, 400));
            }
        }
        assertThat(counts[0]).isZero();
        for (int k = 1; k <= R; k++) {
            assertThat(counts[k]).as("rank %d of 400 draws", k).isBetween(70, 130); // 100 expected, sd ≈ 8.7
        }
        try (CausalLM model = PeftFixtures.llama(3)) {
            DyLoraMethod again = dylora(model, true, 0);
            for (int step = 1; step <= first.length; step++) {
                assertThat(again.trainingRank()).as("step %d", step).isEqualTo(first[step - 1]);
                again.afterStep(new StepInfo(step, 400));
            }
        }
    }

    /** Gradient magnitude per row of A ([r, in]) and per column of B ([out, r]) after one backward at rank 3. */
    private static double[][] gradientsAtRank3(boolean frozen) {
        try (CausalLM model = PeftFixtures.llama(3)) {
            DyLoraMethod method = dylora(model, frozen, 0);
            PeftFixtures.randomize(method, 7, 0.0, 0.5);
            DyLoraLinear layer = method.layers().get("model.layers.0.self_attn.q_proj");
            layer.setTrainingRank(3);
            int in = layer.inFeatures();
            try (NDManager step = model.manager().newSubManager();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = layer.forward(step.create(floats(gaussian(2 * in, 4)), new Shape(2, in)), true)
                        .square().sum();
                System.gc(); // a freed autograd scalar would turn the loss NaN (STACK.md)
                collector.backward(loss);
            }
            float[] gradA = layer.loraA().getGradient().toFloatArray();
            float[] gradB = layer.loraB().getGradient().toFloatArray();
            int out = layer.outFeatures();
            double[][] norms = new double[2][R];
            for (int j = 0; j < R; j++) {
                for (int i = 0; i < in; i++) {
                    norms[0][j] += Math.abs(gradA[j * in + i]);
                }
                for (int o = 0; o < out; o++) {
                    norms[1][j] += Math.abs(gradB[o * R + j]);
                }
            }
            return norms;
        }
    }

    @Test
    void frozenModeSendsGradientOnlyToTheBthRowAndColumn() {
        double[][] norms = gradientsAtRank3(true);
        for (double[] perRank : norms) {
            assertThat(perRank[0]).isZero();
            assertThat(perRank[1]).isZero();
            assertThat(perRank[2]).isGreaterThan(0);
            assertThat(perRank[3]).isZero();
        }
    }

    @Test
    void unfrozenModeSendsGradientToEveryRowUpToB() {
        double[][] norms = gradientsAtRank3(false);
        for (double[] perRank : norms) {
            assertThat(perRank[0]).isGreaterThan(0);
            assertThat(perRank[1]).isGreaterThan(0);
            assertThat(perRank[2]).isGreaterThan(0);
            assertThat(perRank[3]).isZero();
        }
    }

    @Test
    void mergeAtRankKKeepsTheLogitsAtRankK() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 8)) {
                DyLoraMethod method = dylora(model, true, 2);
                PeftFixtures.randomize(method, 9, 0.0, 0.5);
                float[] atRank2 = logits(model);
                method.setInferenceRank(R);
                float[] atFullRank = logits(model);
                method.setInferenceRank(2);

                method.mergeAndUnload();

                assertThat(maxDiff(atRank2, atFullRank)).as("ranks 2 and r differ").isGreaterThan(1e-3);
                assertThat(maxDiff(logits(model), atRank2)).as(gpt2 ? "gpt2" : "llama").isLessThan(1e-4);
                assertThat(model.linears().values()).noneMatch(DyLoraLinear.class::isInstance);
            }
        }
    }

    @Test
    void savesPeftLoraAtFullRankAndPlainLoraAtEachSaveRank(@TempDir Path dir) throws Exception {
        float[] atRank2;
        float[] atFullRank;
        try (CausalLM model = PeftFixtures.gpt2(8)) {
            DyLoraMethod method = dylora(model, true, 0);
            PeftFixtures.randomize(method, 9, 0.0, 0.5);
            atFullRank = logits(model);
            method.setInferenceRank(2);
            atRank2 = logits(model);
            method.saveAdapter(dir, "tiny");
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("adapter_config.json")));
        assertThat(json.path("peft_type").asText()).isEqualTo("LORA");
        assertThat(json.path("r").asInt()).isEqualTo(R);
        assertThat(json.path("fan_in_fan_out").asBoolean()).isTrue();
        assertThat(json.path("dylora").path("max_rank").asInt()).isEqualTo(R);
        assertThat(json.path("dylora").path("frozen").asBoolean()).isTrue();
        JsonNode rank2 = new ObjectMapper().readTree(Files.readString(dir.resolve("rank-2/adapter_config.json")));
        assertThat(rank2.path("r").asInt()).isEqualTo(2);
        assertThat(rank2.path("lora_alpha").asDouble()).isEqualTo(ALPHA);

        // PEFT's LoRA reads both: at full rank and, from rank-2/, as a rank-2 LoRA with scaling alpha / 2
        assertThat(loraLogits(dir, R)).satisfies(l -> assertThat(maxDiff(l, atFullRank)).isLessThan(1e-5));
        assertThat(loraLogits(dir.resolve("rank-2"), 2)).satisfies(l -> assertThat(maxDiff(l, atRank2)).isLessThan(1e-5));

        try (CausalLM model = PeftFixtures.gpt2(8)) {
            DyLoraMethod loaded = dylora(model, true, 2);
            loaded.loadAdapter(dir);
            assertThat(maxDiff(logits(model), atRank2)).as("dylora loaded with rank: 2").isLessThan(1e-5);
        }
    }

    private static float[] loraLogits(Path adapter, int r) {
        try (CausalLM model = PeftFixtures.gpt2(8)) {
            Method lora = new LoraMethodProvider().create(new LoraConfig(r, ALPHA, 0.0, TARGETS),
                    new PeftFixtures.Context(model, 1));
            lora.loadAdapter(adapter);
            return logits(model);
        }
    }

    @Test
    void trainingLowersTheLossAndSamplesEveryStep() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            DyLoraMethod method = dylora(model, false, 0);
            TreeMap<String, float[]> before = new TreeMap<>(PeftFixtures.snapshot(model.parameters()));
            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(PeftFixtures.snapshot(model.parameters())).allSatisfy((name, values) ->
                    assertThat(values).as(name).containsExactly(before.get(name)));
        }
    }
}
