package io.finetune4j.peft.prompt;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static io.finetune4j.peft.ia3.PeftFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.peft.ia3.PeftFixtures;
import io.finetune4j.runtime.io.SafetensorsReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefixTuningMethodTest {
    private static PrefixTuningMethod prefix(CausalLM model, PrefixTuningConfig config) {
        return (PrefixTuningMethod) new PrefixTuningMethodProvider().create(config, new PeftFixtures.Context(model, 5));
    }

    /**
     * Writes the base model's own cache of {@code virtual} into the flat prefix in PEFT's layout, element by
     * element: {@code flat[t, ((2l + kv) · kv_heads + h) · head_dim + d] = cache_{l,kv}[0, h, t, d]}.
     */
    private static void prefixFromTokens(PrefixTuningMethod method, CausalLM model, long[] virtual) {
        int layers = model.config().numHiddenLayers();
        int kvHeads = model.config().numKeyValueHeads();
        int headDim = model.config().headDim();
        int n = virtual.length;
        int width = layers * 2 * kvHeads * headDim;
        float[] flat = new float[n * width];
        try (NDManager step = model.manager().newSubManager(); AdapterScope base = model.disableAdapters()) {
            KvCache cache = model.forward(ForwardInput.of(step.create(virtual, new Shape(1, n)))
                    .withCache(null, true)).cache();
            for (int l = 0; l < layers; l++) {
                for (int kv = 0; kv < 2; kv++) {
                    float[] values = (kv == 0 ? cache.keys(l) : cache.values(l)).toFloatArray(); // [1, kv, n, hd]
                    for (int h = 0; h < kvHeads; h++) {
                        for (int t = 0; t < n; t++) {
                            for (int d = 0; d < headDim; d++) {
                                flat[t * width + ((2 * l + kv) * kvHeads + h) * headDim + d] =
                                        values[(h * n + t) * headDim + d];
                            }
                        }
                    }
                }
            }
        }
        method.trainableParameters().get("prompt_embeddings").set(flat);
    }

    @Test
    void aPrefixOfTheBasesOwnCacheActsAsThoseTokensPrepended() {
        long[] virtual = {3, 12, 7, 1};
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 4)) {
                float[] expected = PromptTuningMethodTest.baseLogitsAfter(model, virtual);
                PrefixTuningMethod method = prefix(model, new PrefixTuningConfig(4, false, 0));
                prefixFromTokens(method, model, virtual);

                assertThat(maxDiff(logits(model), expected)).as(gpt2 ? "gpt2" : "llama").isLessThan(1e-5);
                float[] masked = logits(model, input -> input.withAttentionMask(
                        input.inputIds().getManager().ones(new Shape(2, 6))));
                assertThat(maxDiff(masked, expected)).as("with a [batch, seq] mask").isLessThan(1e-5);
            }
        }
    }

    @Test
    void parameterCountsArePefts() {
        try (CausalLM model = PeftFixtures.llama(3)) {
            // GQA: token_dim = kv_heads · head_dim = 1 · 4
            assertThat(prefix(model, new PrefixTuningConfig(5, false, 0)).trainableParameterCount())
                    .isEqualTo(5L * 2 * 2 * 4);
        }
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            long tokenDim = 8;
            long flat = 2 * 2 * tokenDim;
            long encoder = 6;
            assertThat(prefix(model, new PrefixTuningConfig(5, true, 6)).trainableParameterCount())
                    .isEqualTo(5 * tokenDim + (tokenDim * encoder + encoder) + (encoder * flat + flat));
        }
    }

    @Test
    void disabledAdaptersGiveTheBase() {
        try (CausalLM model = PeftFixtures.llama(6)) {
            float[] base = logits(model);
            prefix(model, new PrefixTuningConfig(3, false, 0));

            assertThat(maxDiff(logits(model), base)).isGreaterThan(1e-3);
            try (AdapterScope off = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    @Test
    void trainingChangesOnlyThePrefixAndItsProjection() {
        for (boolean projection : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.gpt2(7)) {
                PrefixTuningMethod method = prefix(model, new PrefixTuningConfig(3, projection, 0));
                Map<String, float[]> baseBefore = snapshot(model.parameters());
                Map<String, float[]> prefixBefore = snapshot(method.trainableParameters());

                float[] losses = PeftFixtures.train(model, method, input -> input);

                assertThat(losses[1]).isLessThan(losses[0]);
                assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
                snapshot(model.parameters()).forEach((name, values) ->
                        assertThat(values).as(name).containsExactly(baseBefore.get(name)));
                method.trainableParameters().forEach((name, array) ->
                        assertThat(array.toFloatArray()).as(name).isNotEqualTo(prefixBefore.get(name)));
            }
        }
    }

    @Test
    void aPipelineObjectiveOnThePlainModelTrainsThePrefix() {
        for (boolean projection : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.llama(9)) {
                VirtualTokenMethodTest.assertTrainsThroughThePlainModel(model,
                        prefix(model, new PrefixTuningConfig(3, projection, 0)));
            }
        }
    }

    @Test
    void projectionIsFoldedIntoAPlainPrefixAtSave(@TempDir Path dir) throws Exception {
        float[] tuned;
        try (CausalLM model = PeftFixtures.llama(2)) {
            PrefixTuningMethod method = prefix(model, new PrefixTuningConfig(3, true, 5));
            PeftFixtures.randomize(method, 8, 0, 0.5);
            tuned = logits(model);
            method.saveAdapter(dir, "tiny-llama");
            assertThatThrownBy(() -> method.loadAdapter(dir)).isInstanceOf(ConfigException.class);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(json.get("peft_type").asText()).isEqualTo("PREFIX_TUNING");
        assertThat(json.get("prefix_projection").asBoolean()).isFalse();
        assertThat(json.get("num_attention_heads").asInt()).isEqualTo(1);
        assertThat(json.get("token_dim").asInt()).isEqualTo(4);
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(reader.info("prompt_embeddings").orElseThrow().shape()).isEqualTo(new Shape(3, 2 * 2 * 4));
        }
        try (CausalLM model = PeftFixtures.llama(2)) {
            PrefixTuningMethod method = prefix(model, new PrefixTuningConfig(3, false, 0));
            method.loadAdapter(dir);
            assertThat(maxDiff(logits(model), tuned)).isLessThan(1e-6);
        }
    }
}
