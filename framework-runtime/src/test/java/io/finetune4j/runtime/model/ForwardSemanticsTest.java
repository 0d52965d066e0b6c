package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static io.finetune4j.runtime.model.TestModels.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.KvCache;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cache, padding, packing, prefixes and logit selection give the same numbers as plain forwards. */
class ForwardSemanticsTest {
    private static final long[] IDS = {3, 17, 5, 9, 30, 1, 12};
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt2"})
    void incrementalDecodingWithCacheEqualsFullForward(String kind) {
        try (CausalLM model = TestModels.named(kind, 11); NDManager step = newManager(model)) {
            float[][] full = TestModels.logits(model, IDS);
            int split = 4;
            ForwardOutput prefill = model.forward(ForwardInput.of(ids(step, Arrays.copyOf(IDS, split))).withCache(null, true));
            assertThat(maxDiff(Arrays.copyOf(full, split), rows(prefill.logits().toFloatArray(), split))).isLessThan(TOLERANCE);
            KvCache cache = prefill.cache();
            assertThat(cache.length()).isEqualTo(split);
            for (int t = split; t < IDS.length; t++) {
                ForwardOutput out = model.forward(ForwardInput.of(ids(step, IDS[t])).withCache(cache, true)
                        .withLogits(ForwardInput.Logits.LAST));
                assertThat(maxDiff(new float[][] {full[t]}, rows(out.logits().toFloatArray(), 1))).isLessThan(TOLERANCE);
                cache = out.cache();
                assertThat(cache.length()).isEqualTo(t + 1);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void leftPaddedBatchEqualsEachRowAlone(String kind) {
        long[] shortRow = {3, 17, 5};
        long[] longRow = {9, 30, 1, 12, 7};
        try (CausalLM model = TestModels.named(kind, 12); NDManager step = newManager(model)) {
            NDArray batch = step.create(new long[] {0, 0, 3, 17, 5, 9, 30, 1, 12, 7}, new Shape(2, 5));
            NDArray mask = step.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 5));
            ForwardOutput out = model.forward(ForwardInput.of(batch).withAttentionMask(mask).withCache(null, true));
            float[][] logits = rows(out.logits().toFloatArray(), 10);
            assertThat(maxDiff(TestModels.logits(model, shortRow), Arrays.copyOfRange(logits, 2, 5))).isLessThan(TOLERANCE);
            assertThat(maxDiff(TestModels.logits(model, longRow), Arrays.copyOfRange(logits, 5, 10))).isLessThan(TOLERANCE);

            // One decode step for both rows, the mask grown by one real column (as generate does).
            NDArray next = step.create(new long[] {22, 4}, new Shape(2, 1));
            NDArray grown = step.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            ForwardOutput decoded = model.forward(ForwardInput.of(next).withAttentionMask(grown).withCache(out.cache(), false));
            float[][] stepped = rows(decoded.logits().toFloatArray(), 2);
            float[][] shortAlone = TestModels.logits(model, new long[] {3, 17, 5, 22});
            float[][] longAlone = TestModels.logits(model, new long[] {9, 30, 1, 12, 7, 4});
            assertThat(maxDiff(new float[][] {shortAlone[3], longAlone[5]}, stepped)).isLessThan(TOLERANCE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void packedSegmentsEqualSeparateExamples(String kind) {
        try (CausalLM model = TestModels.named(kind, 13); NDManager step = newManager(model)) {
            NDArray packed = step.create(new long[] {3, 17, 5, 9, 30, 1, 12}, new Shape(1, 7));
            NDArray segments = step.create(new long[] {0, 0, 0, 1, 1, 2, 2}, new Shape(1, 7));
            float[][] logits = rows(model.forward(ForwardInput.of(packed).withSegmentIds(segments)).logits().toFloatArray(), 7);
            assertThat(maxDiff(TestModels.logits(model, new long[] {3, 17, 5}), Arrays.copyOfRange(logits, 0, 3))).isLessThan(TOLERANCE);
            assertThat(maxDiff(TestModels.logits(model, new long[] {9, 30}), Arrays.copyOfRange(logits, 3, 5))).isLessThan(TOLERANCE);
            assertThat(maxDiff(TestModels.logits(model, new long[] {1, 12}), Arrays.copyOfRange(logits, 5, 7))).isLessThan(TOLERANCE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void prefixEmbeddingsOfRealTokensEqualRunningThoseTokens(String kind) {
        try (CausalLM model = TestModels.named(kind, 14); NDManager step = newManager(model)) {
            String embedding = kind.equals("gpt2") ? "transformer.wte.weight" : "model.embed_tokens.weight";
            float[] table = model.parameters().get(embedding).toFloatArray();
            int hidden = model.config().hiddenSize();
            float[] prefix = new float[2 * hidden];
            System.arraycopy(table, (int) IDS[0] * hidden, prefix, 0, hidden);
            System.arraycopy(table, (int) IDS[1] * hidden, prefix, hidden, hidden);
            NDArray prefixArray = step.create(prefix, new Shape(1, 2, hidden));

            ForwardOutput out = model.forward(ForwardInput.of(ids(step, Arrays.copyOfRange(IDS, 2, IDS.length)))
                    .withPrefixEmbeddings(prefixArray).withCache(null, true));
            int tokens = IDS.length - 2;
            assertThat(out.logits().getShape()).isEqualTo(new Shape(1, tokens, model.config().vocabSize()));
            assertThat(out.hiddenStates().getShape()).isEqualTo(new Shape(1, tokens, hidden));
            assertThat(out.cache().length()).isEqualTo(IDS.length);
            float[][] full = TestModels.logits(model, IDS);
            assertThat(maxDiff(Arrays.copyOfRange(full, 2, IDS.length), rows(out.logits().toFloatArray(), tokens))).isLessThan(TOLERANCE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void logitSelectionMatchesTheFullLogits(String kind) {
        try (CausalLM model = TestModels.named(kind, 15); NDManager step = newManager(model)) {
            float[][] full = TestModels.logits(model, IDS);
            int t = IDS.length;
            ForwardInput input = ForwardInput.of(ids(step, IDS));
            float[] allButLast = model.forward(input.withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits().toFloatArray();
            assertThat(maxDiff(Arrays.copyOf(full, t - 1), rows(allButLast, t - 1))).isLessThan(1e-6);
            float[] last = model.forward(input.withLogits(ForwardInput.Logits.LAST)).logits().toFloatArray();
            assertThat(maxDiff(new float[][] {full[t - 1]}, rows(last, 1))).isLessThan(1e-6);
            ForwardOutput none = model.forward(input.withLogits(ForwardInput.Logits.NONE));
            assertThat(none.logits()).isNull();
            assertThat(none.hiddenStates().getShape()).isEqualTo(new Shape(1, t, model.config().hiddenSize()));
            assertThat(none.cache()).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void explicitDefaultPositionsChangeNothingAndStretchedOnesDo(String kind) {
        try (CausalLM model = TestModels.named(kind, 16); NDManager step = newManager(model)) {
            float[][] full = TestModels.logits(model, IDS);
            long[] positions = new long[IDS.length];
            Arrays.setAll(positions, i -> i);
            ForwardInput input = ForwardInput.of(ids(step, IDS));
            float[] same = model.forward(input.withPositionIds(step.create(positions, new Shape(1, IDS.length)))).logits().toFloatArray();
            assertThat(maxDiff(full, rows(same, IDS.length))).isLessThan(1e-6);
            // Rotary attention is relative, so a constant shift would change nothing there: stretch instead.
            Arrays.setAll(positions, i -> 2 * i);
            float[] stretched = model.forward(input.withPositionIds(step.create(positions, new Shape(1, IDS.length)))).logits().toFloatArray();
            assertThat(maxDiff(full, rows(stretched, IDS.length))).isGreaterThan(1e-3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void managedArrayCountStaysFlatOverFiftyForwards(String kind) {
        try (CausalLM model = TestModels.named(kind, 17)) {
            // Kind 0 is a prefill plus one cached decode step (2 forwards), kind 1 a padded training forward.
            java.util.function.IntConsumer forward = kindOfForward -> {
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray batch = step.create(new long[] {0, 3, 17, 5, 9, 30}, new Shape(2, 3));
                    NDArray padding = step.create(new long[] {0, 1, 1, 1, 1, 1}, new Shape(2, 3));
                    if (kindOfForward == 0) {
                        ForwardOutput out = model.forward(ForwardInput.of(batch).withCache(null, true));
                        model.forward(ForwardInput.of(step.create(new long[] {4, 4}, new Shape(2, 1))).withCache(out.cache(), true));
                    } else {
                        model.forward(ForwardInput.of(batch).withAttentionMask(padding).withTraining(true)
                                .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits().toFloatArray();
                    }
                }
            };
            forward.accept(0); // caches (masks, rotary tables, scalars) fill on first use
            forward.accept(1);
            int before = model.manager().getManagedArrays().size();
            for (int forwards = 0; forwards < 50; forwards += 3) {
                forward.accept(0);
                forward.accept(1);
            }
            assertThat(model.manager().getManagedArrays()).hasSize(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void forwardAddsNothingToACappedModelManager(String kind) {
        try (CausalLM model = TestModels.named(kind, 18); NDManager step = newManager(model)) {
            TestModels.logits(model, IDS); // warm the model-owned caches
            model.manager().cap();
            NDArray padding = step.create(new long[] {0, 1, 1, 1, 1, 1, 1}, new Shape(1, 7));
            ForwardOutput out = model.forward(ForwardInput.of(ids(step, IDS)).withAttentionMask(padding).withCache(null, true));
            model.forward(ForwardInput.of(ids(step, 4)).withCache(out.cache(), true));
            model.forward(ForwardInput.of(ids(step, IDS)).withTraining(true)); // the causal-only mask
            assertThat(out.logits().getManager()).isSameAs(step);
        }
    }

    private static CausalLM windowed(String kind, int window, int layers) {
        io.finetune4j.api.model.ModelConfig base = ModelFactory.llamaFamilyConfig(kind, 32, 16, layers, 2, 1, 24, 64, false);
        java.util.Map<String, Object> raw = new java.util.LinkedHashMap<>(base.raw());
        raw.put("sliding_window", window);
        raw.put("use_sliding_window", true);
        io.finetune4j.api.model.ModelConfig config = new io.finetune4j.api.model.ModelConfig(kind, 32, 16, layers, 2, 1,
                24, 64, 1e-6, 10000, false, false, "silu", raw);
        return TestModels.rescaled(ModelFactory.random(config, null, null, 1, ai.djl.Device.cpu()), 1);
    }

    /**
     * One Mistral layer with window 3: the query at position i sees tokens i-2..i only. RoPE scores depend
     * only on relative positions, so its logits equal those of that window run as a sequence of its own.
     */
    @Test
    void mistralSlidingWindowSeesExactlyTheLatestKeys() {
        long[] tokens = {3, 7, 1, 9, 4, 4, 2, 8};
        try (CausalLM model = windowed("mistral", 3, 1); NDManager step = newManager(model)) {
            float[] all = model.forward(ForwardInput.of(ids(step, tokens))).logits().toFloatArray(); // [1, 8, 32]
            for (int i = 0; i < tokens.length; i++) {
                long[] window = java.util.Arrays.copyOfRange(tokens, Math.max(0, i - 2), i + 1);
                float[] alone = model.forward(ForwardInput.of(ids(step, window))).logits().toFloatArray();
                float[] expected = java.util.Arrays.copyOfRange(alone, alone.length - 32, alone.length);
                float[] actual = java.util.Arrays.copyOfRange(all, i * 32, (i + 1) * 32);
                assertThat(actual).as("position %d", i).containsExactly(expected, org.assertj.core.api.Assertions.within(1e-4f));
            }
        }
    }

    /** With the KV cache, decode steps apply the same window as a full forward over the sequence. */
    @Test
    void mistralSlidingWindowHoldsThroughTheCache() {
        long[] tokens = {3, 7, 1, 9, 4, 4, 2, 8};
        try (CausalLM model = windowed("mistral", 3, 2); NDManager step = newManager(model)) {
            float[] full = model.forward(ForwardInput.of(ids(step, tokens))).logits().toFloatArray();
            KvCache cache = null;
            for (int i = 0; i < tokens.length; i++) {
                ForwardOutput out = model.forward(ForwardInput.of(ids(step, tokens[i])).withCache(cache, true));
                cache = out.cache();
                float[] expected = java.util.Arrays.copyOfRange(full, i * 32, (i + 1) * 32);
                assertThat(out.logits().toFloatArray()).as("step %d", i)
                        .containsExactly(expected, org.assertj.core.api.Assertions.within(1e-4f));
            }
        }
    }

    @Test
    void qwen2PerLayerWindowsBeyondTheirLengthAreRefused() {
        try (CausalLM model = windowed("qwen2", 4, 1); NDManager step = newManager(model)) {
            model.forward(ForwardInput.of(ids(step, 1, 2, 3, 4)));
            assertThatThrownBy(() -> model.forward(ForwardInput.of(ids(step, 1, 2, 3, 4, 5))))
                    .isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("sliding_window 4");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void gradientsReachPrefixEmbeddingsThroughAGarbageCollection(String kind) {
        try (CausalLM model = TestModels.named(kind, 19); NDManager step = newManager(model)) {
            int hidden = model.config().hiddenSize();
            float[] values = new float[2 * hidden];
            java.util.SplittableRandom random = new java.util.SplittableRandom(3);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            NDArray prefix = step.create(values, new Shape(1, 2, hidden));
            prefix.setRequiresGradient(true);
            float loss;
            try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray value = lmLoss(model, step, prefix);
                System.gc(); // a freed Java-owned scalar would turn backward into garbage (STACK.md)
                collector.backward(value);
                loss = value.getFloat();
            }
            float[] gradient = prefix.getGradient().toFloatArray();
            assertThat(Float.isFinite(loss)).isTrue();
            // Central differences on a few coordinates, in double around the float32 forward.
            double h = 1e-2;
            for (int k : new int[] {0, hidden - 1, hidden + 3}) {
                float[] plus = values.clone();
                float[] minus = values.clone();
                plus[k] += (float) h;
                minus[k] -= (float) h;
                double numeric = (lmLoss(model, step, step.create(plus, new Shape(1, 2, hidden))).getFloat()
                        - lmLoss(model, step, step.create(minus, new Shape(1, 2, hidden))).getFloat()) / (2 * h);
                assertThat(gradient[k]).as("coordinate %d", k).isCloseTo((float) numeric, org.assertj.core.api.Assertions.within(2e-3f));
            }
        }
    }

    /** Sum over positions of -log p(next token), with the prefix in front of IDS. */
    private static NDArray lmLoss(CausalLM model, NDManager step, NDArray prefix) {
        NDArray logits = model.forward(ForwardInput.of(ids(step, IDS)).withPrefixEmbeddings(prefix).withTraining(true)
                .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits(); // [1, T-1, vocab]
        NDArray targets = step.create(Arrays.copyOfRange(IDS, 1, IDS.length), new Shape(1, IDS.length - 1, 1));
        return logits.logSoftmax(-1).gather(targets, 2).sum().neg();
    }

    static NDManager newManager(CausalLM model) {
        return model.manager().getEngine().newBaseManager(model.device());
    }

    static NDArray ids(NDManager manager, long... ids) {
        return manager.create(ids, new Shape(1, ids.length));
    }
}
