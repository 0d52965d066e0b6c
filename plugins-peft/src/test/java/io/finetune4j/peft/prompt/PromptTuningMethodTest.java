package io.finetune4j.peft.prompt;

import static io.finetune4j.peft.ia3.PeftFixtures.IDS;
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
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.peft.ia3.PeftFixtures;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTuningMethodTest {
    private static PromptTuningMethod prompt(CausalLM model, PromptTuningConfig config) {
        return (PromptTuningMethod) new PromptTuningMethodProvider().create(config, new PeftFixtures.Context(model, 5));
    }

    /** Sets the soft prompt to the embedding rows of {@code ids}. */
    private static void promptFromTokens(PromptTuningMethod method, CausalLM model, long[] ids) {
        float[] table = PromptTuningMethod.embeddingMatrix(model).toFloatArray();
        int hidden = model.config().hiddenSize();
        float[] values = new float[ids.length * hidden];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(table, (int) ids[i] * hidden, values, i * hidden, hidden);
        }
        method.prompt().set(values);
    }

    @Test
    void aPromptOfTokenEmbeddingsActsAsThoseTokensPrepended() {
        long[] virtual = {3, 12, 7};
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 4)) {
                float[] expected = baseLogitsAfter(model, virtual);
                PromptTuningMethod method = prompt(model, new PromptTuningConfig(3, "RANDOM", ""));
                promptFromTokens(method, model, virtual);

                float[] actual = logits(model);

                assertThat(maxDiff(actual, expected)).as(gpt2 ? "gpt2" : "llama").isLessThan(1e-5);
            }
        }
    }

    /** The base model's logits at the positions of two rows of IDS, run after {@code virtual} tokens. */
    static float[] baseLogitsAfter(CausalLM model, long[] virtual) {
        int n = virtual.length;
        long[] ids = new long[2 * (n + 6)];
        for (int row = 0; row < 2; row++) {
            System.arraycopy(virtual, 0, ids, row * (n + 6), n);
            System.arraycopy(IDS, row * 6, ids, row * (n + 6) + n, 6);
        }
        try (NDManager step = model.manager().newSubManager()) {
            NDArray all = model.forward(ForwardInput.of(step.create(ids, new Shape(2, n + 6)))).logits();
            return all.get(":, " + n + ":, :").toFloatArray();
        }
    }

    @Test
    void paddingMaskOverTheTokensOnlyKeepsTheVirtualTokensVisible() {
        try (CausalLM model = PeftFixtures.llama(4)) {
            PromptTuningMethod method = prompt(model, new PromptTuningConfig(3, "RANDOM", ""));
            float[] unmasked = logits(model);
            float[] masked = logits(model, input -> input.withAttentionMask(
                    input.inputIds().getManager().ones(new Shape(2, 6))));
            assertThat(maxDiff(masked, unmasked)).isLessThan(1e-6);
        }
    }

    @Test
    void disabledAdaptersGiveTheBase() {
        try (CausalLM model = PeftFixtures.gpt2(6)) {
            float[] base = logits(model);
            prompt(model, new PromptTuningConfig(4, "RANDOM", ""));

            assertThat(maxDiff(logits(model), base)).isGreaterThan(1e-3);
            try (AdapterScope off = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    @Test
    void trainingChangesOnlyThePrompt() {
        try (CausalLM model = PeftFixtures.llama(7)) {
            PromptTuningMethod method = prompt(model, new PromptTuningConfig(4, "RANDOM", ""));
            Map<String, float[]> baseBefore = snapshot(model.parameters());
            float[] promptBefore = method.prompt().toFloatArray();

            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(method.trainableParameterCount()).isEqualTo(4L * 8);
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
            snapshot(model.parameters()).forEach((name, values) ->
                    assertThat(values).as(name).containsExactly(baseBefore.get(name)));
            assertThat(method.prompt().toFloatArray()).isNotEqualTo(promptBefore);
        }
    }

    @Test
    void aPipelineObjectiveOnThePlainModelTrainsThePrompt() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 9)) {
                VirtualTokenMethodTest.assertTrainsThroughThePlainModel(model,
                        prompt(model, new PromptTuningConfig(4, "RANDOM", "")));
            }
        }
    }

    @Test
    void savedAdapterReproducesLogitsInPeftLayout(@TempDir Path dir) throws Exception {
        PromptTuningConfig config = new PromptTuningConfig(5, "RANDOM", "");
        float[] tuned;
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            PromptTuningMethod method = prompt(model, config);
            tuned = logits(model);
            method.saveAdapter(dir, "tiny-gpt2");
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(json.get("peft_type").asText()).isEqualTo("PROMPT_TUNING");
        assertThat(json.get("num_virtual_tokens").asInt()).isEqualTo(5);
        assertThat(json.get("token_dim").asInt()).isEqualTo(8);
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(reader.tensors()).hasSize(1);
            assertThat(reader.info("prompt_embeddings").orElseThrow().shape()).isEqualTo(new Shape(5, 8));
        }
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            PromptTuningMethod method = prompt(model, new PromptTuningConfig(5, "RANDOM", ""));
            PeftFixtures.randomize(method, 77, 0, 1);
            method.loadAdapter(dir);
            assertThat(logits(model)).containsExactly(tuned);
        }
        try (CausalLM model = PeftFixtures.gpt2(2)) {
            PromptTuningMethod other = prompt(model, new PromptTuningConfig(4, "RANDOM", ""));
            assertThatThrownBy(() -> other.loadAdapter(dir)).isInstanceOf(ConfigException.class)
                    .hasMessage(dir.resolve("adapter_config.json") + ": num_virtual_tokens is 5, but the method was"
                            + " created with num_virtual_tokens 4");
        }
    }

    @Test
    void textInitRepeatsTheTextsTokenEmbeddings(@TempDir Path dir) {
        TokenizerFiles.writeByteLevel(dir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", "</s>");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir);
             CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(300, 8, 1, 2, 2, 16, 64), tokenizer, dir, 3,
                     Device.cpu())) {
            TextTokenizer text = model.tokenizer();
            long[] ids = text.encode("abc", true);
            PromptTuningMethod method = prompt(model, new PromptTuningConfig(ids.length * 2 + 1, "TEXT", "abc"));

            float[] table = PromptTuningMethod.embeddingMatrix(model).toFloatArray();
            float[] values = method.prompt().toFloatArray();
            for (int i = 0; i < ids.length * 2 + 1; i++) {
                long id = ids[i % ids.length];
                for (int d = 0; d < 8; d++) {
                    assertThat(values[i * 8 + d]).isEqualTo(table[(int) id * 8 + d]);
                }
            }
        }
    }

    @Test
    void textInitWithoutATokenizerIsAConfigError() {
        try (CausalLM model = PeftFixtures.llama(2)) {
            assertThatThrownBy(() -> prompt(model, new PromptTuningConfig(3, "TEXT", "hello")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("prompt_tuning_init: TEXT needs the model's tokenizer, and this model has none");
        }
    }
}
