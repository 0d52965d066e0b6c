package io.finetune4j.peft.bottleneck;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static io.finetune4j.peft.ia3.PeftFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.BlockHook;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BottleneckMethodTest {
    private static BottleneckMethod bottleneck(CausalLM model, BottleneckConfig config) {
        return (BottleneckMethod) new BottleneckMethodProvider().create(config, new PeftFixtures.Context(model, 5));
    }

    /** adapters {@code methods/modeling.py} {@code Adapter.init_bert_weights}: both projections N(0, 0.02), biases 0. */
    @Test
    void initialisesBothProjectionsAsAdapterHubsBertInit() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            float[] base = logits(model);
            BottleneckMethod method = bottleneck(model, new BottleneckConfig("houlsby", 16, 200, ""));
            for (String part : new String[] {"adapter_down", "adapter_up"}) {
                double sum = 0;
                double squares = 0;
                int n = 0;
                for (Map.Entry<String, NDArray> entry : method.trainableParameters().entrySet()) {
                    float[] values = entry.getValue().toFloatArray();
                    if (entry.getKey().endsWith(part + ".bias")) {
                        assertThat(values).as(entry.getKey()).containsOnly(0f);
                    } else if (entry.getKey().endsWith(part + ".weight")) {
                        for (float v : values) {
                            sum += v;
                            squares += (double) v * v;
                            n++;
                        }
                    }
                }
                // 4 adapters x 8 x 200 = 6400 draws: the sample std is within 3% of 0.02 with overwhelming odds
                assertThat(n).isEqualTo(6400);
                assertThat(Math.sqrt(squares / n - (sum / n) * (sum / n))).as(part).isCloseTo(0.02, within(0.0006));
            }
            // W_up is not zero, so the adapted model is near the base but not equal to it
            assertThat(maxDiff(logits(model), base)).isGreaterThan(0.0).isLessThan(0.1);
        }
    }

    @Test
    void placementDecidesWhereAdaptersGoAndTheCount() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            BottleneckMethod houlsby = bottleneck(model, new BottleneckConfig("houlsby", 4, 0, "relu"));
            assertThat(houlsby.adapters().keySet()).containsExactly("layers.0.after_attention", "layers.0.after_mlp",
                    "layers.1.after_attention", "layers.1.after_mlp");
            assertThat(houlsby.trainableParameters().get("layers.0.after_mlp.adapter_down.weight").getShape())
                    .isEqualTo(new Shape(2, 8));
            // per adapter: down h·b + b, up b·h + h; hidden 8, bottleneck 8/4 = 2
            assertThat(houlsby.trainableParameterCount()).isEqualTo(4L * (2 * 8 * 2 + 2 + 8));
        }
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            BottleneckMethod pfeiffer = bottleneck(model, new BottleneckConfig("pfeiffer", 16, 3, "relu"));
            assertThat(pfeiffer.adapters().keySet()).containsExactly("layers.0.after_mlp", "layers.1.after_mlp");
            assertThat(pfeiffer.trainableParameterCount()).isEqualTo(2L * (2 * 8 * 3 + 3 + 8));
        }
    }

    /**
     * AdapterHub {@code Adapter.pre_forward}/{@code forward} with {@code layer_norm=None} (its GPT-2 block):
     * Pfeiffer ({@code original_ln_before}) feeds {@code h + x} to the bottleneck, Houlsby feeds {@code h}; both
     * return {@code h + up(f(down(in)))}.
     */
    @Test
    void adapterMatchesADoubleComputation() {
        for (String placement : new String[] {"pfeiffer", "houlsby"}) {
            for (String activation : new String[] {"relu", "gelu", "silu", "swish"}) {
                try (CausalLM model = PeftFixtures.llama(4)) {
                    BottleneckMethod method = bottleneck(model, new BottleneckConfig(placement, 16, 3, activation));
                    PeftFixtures.randomize(method, 9, 0.0, 0.5);
                    Map<String, NDArray> p = method.trainableParameters();
                    float[] dw = p.get("layers.1.after_mlp.adapter_down.weight").toFloatArray(); // [3, 8]
                    float[] db = p.get("layers.1.after_mlp.adapter_down.bias").toFloatArray();
                    float[] uw = p.get("layers.1.after_mlp.adapter_up.weight").toFloatArray();   // [8, 3]
                    float[] ub = p.get("layers.1.after_mlp.adapter_up.bias").toFloatArray();
                    float[] h = new float[2 * 8];
                    float[] x = new float[2 * 8];
                    Random random = new Random(1);
                    for (int i = 0; i < h.length; i++) {
                        h[i] = (float) random.nextGaussian();
                        x[i] = (float) (3 * random.nextGaussian());
                    }
                    float[] actual;
                    try (NDManager step = model.manager().newSubManager()) {
                        actual = method.adapters().get("layers.1.after_mlp").apply(step.create(h, new Shape(1, 2, 8)),
                                step.create(x, new Shape(1, 2, 8)), false).toFloatArray();
                    }
                    boolean pfeiffer = placement.equals("pfeiffer");
                    for (int row = 0; row < 2; row++) {
                        double[] z = new double[3];
                        for (int j = 0; j < 3; j++) {
                            double sum = db[j];
                            for (int i = 0; i < 8; i++) {
                                double in = h[row * 8 + i] + (pfeiffer ? x[row * 8 + i] : 0.0);
                                sum += dw[j * 8 + i] * in;
                            }
                            z[j] = activation(activation, sum);
                        }
                        for (int o = 0; o < 8; o++) {
                            double sum = ub[o];
                            for (int j = 0; j < 3; j++) {
                                sum += uw[o * 3 + j] * z[j];
                            }
                            assertThat((double) actual[row * 8 + o]).as(placement + " " + activation)
                                    .isCloseTo(h[row * 8 + o] + sum, within(1e-4));
                        }
                    }
                }
            }
        }
    }

    /** The residual stream a hook receives is the block's stream: before the MLP it is {@code x + attention}. */
    @Test
    void hooksReceiveTheResidualStreamTheOutputIsAddedTo() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 3)) {
                float[][] seen = new float[3][];
                model.addHook(1, HookPoint.AFTER_ATTENTION, new Recorder(seen, 0, 1));
                model.addHook(1, HookPoint.AFTER_MLP, new Recorder(seen, -1, 2));
                logits(model);
                for (int i = 0; i < seen[2].length; i++) {
                    assertThat((double) seen[2][i]).isCloseTo(seen[0][i] + seen[1][i], within(1e-5));
                }
            }
        }
    }

    /** Records the residual into {@code seen[residualSlot]} and the output into {@code seen[outputSlot]}. */
    private record Recorder(float[][] seen, int outputSlot, int residualSlot) implements BlockHook {
        @Override
        public NDArray apply(NDArray hidden, boolean training) {
            throw new AssertionError("the model must pass the residual stream");
        }

        @Override
        public NDArray apply(NDArray hidden, NDArray residual, boolean training) {
            if (outputSlot >= 0) {
                seen[outputSlot] = hidden.toFloatArray();
            }
            seen[residualSlot] = residual.toFloatArray();
            return hidden;
        }
    }

    private static double activation(String name, double x) {
        return switch (name) {
            case "relu" -> Math.max(0, x);
            case "silu", "swish" -> x / (1 + Math.exp(-x));
            default -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
        };
    }

    /** Abramowitz-Stegun 7.1.26 is too coarse for 1e-5; integrate erf by Simpson's rule instead. */
    private static double erf(double x) {
        int n = 2000;
        double step = x / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double t = i * step;
            double weight = i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2);
            sum += weight * Math.exp(-t * t);
        }
        return 2 / Math.sqrt(Math.PI) * sum * step / 3;
    }

    @Test
    void disabledAdaptersGiveTheBase() {
        try (CausalLM model = PeftFixtures.gpt2(6)) {
            float[] base = logits(model);
            BottleneckMethod method = bottleneck(model, new BottleneckConfig("houlsby", 2, 0, "silu"));
            PeftFixtures.randomize(method, 1, 0.0, 0.5);

            assertThat(maxDiff(logits(model), base)).isGreaterThan(1e-3);
            try (AdapterScope off = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    @Test
    void trainingChangesOnlyTheAdapters() {
        try (CausalLM model = PeftFixtures.llama(7)) {
            BottleneckMethod method = bottleneck(model, new BottleneckConfig("houlsby", 2, 0, "gelu"));
            Map<String, float[]> baseBefore = snapshot(model.parameters());
            Map<String, float[]> adaptersBefore = snapshot(method.trainableParameters());

            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
            snapshot(model.parameters()).forEach((name, values) ->
                    assertThat(values).as(name).containsExactly(baseBefore.get(name)));
            method.trainableParameters().forEach((name, array) ->
                    assertThat(array.toFloatArray()).as(name).isNotEqualTo(adaptersBefore.get(name)));
        }
    }

    @Test
    void savedAdapterReproducesLogits(@TempDir Path dir) {
        BottleneckConfig config = new BottleneckConfig("houlsby", 4, 0, "relu");
        float[] adapted;
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            BottleneckMethod method = bottleneck(model, config);
            PeftFixtures.randomize(method, 3, 0.0, 0.5);
            adapted = logits(model);
            method.saveAdapter(dir, "tiny-gpt2");
        }
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            BottleneckMethod method = bottleneck(model, config);
            method.loadAdapter(dir);
            assertThat(logits(model)).containsExactly(adapted);
        }
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            BottleneckMethod other = bottleneck(model, new BottleneckConfig("pfeiffer", 4, 0, "relu"));
            assertThatThrownBy(() -> other.loadAdapter(dir)).isInstanceOf(ConfigException.class)
                    .hasMessage(dir.resolve("bottleneck_config.json") + ": placement is 'houlsby', but the method"
                            + " was created with placement 'pfeiffer'");
        }
    }

    @Test
    void forwardAndTrainingLeaveNothingInTheModelsManager() {
        try (CausalLM model = PeftFixtures.llama(5)) {
            BottleneckMethod method = bottleneck(model, new BottleneckConfig("houlsby", 2, 0, "silu"));
            logits(model);
            int before = model.manager().getManagedArrays().size();

            logits(model);
            PeftFixtures.train(model, method, input -> input);

            assertThat(model.manager().getManagedArrays()).hasSize(before);
        }
    }

    @Test
    void cannotBeMerged() {
        try (CausalLM model = PeftFixtures.llama(2)) {
            BottleneckMethod method = bottleneck(model, new BottleneckConfig("pfeiffer", 16, 0, "relu"));
            assertThat(method.canMerge()).isFalse();
            assertThat(method.isAdapter()).isTrue();
        }
    }
}
