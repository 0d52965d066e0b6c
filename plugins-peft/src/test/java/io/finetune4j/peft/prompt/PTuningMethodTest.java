package io.finetune4j.peft.prompt;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static io.finetune4j.peft.ia3.PeftFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PTuningMethodTest {
    private static PTuningMethod ptuning(CausalLM model, int tokens, int encoder) {
        return (PTuningMethod) new PTuningMethodProvider().create(new PTuningConfig(tokens, "MLP", encoder, 2, 0.0),
                new PeftFixtures.Context(model, 5));
    }

    /** PEFT's mlp_head in double loops: Linear, ReLU, Linear, ReLU, Linear over each virtual token's embedding. */
    private static double[][] referencePrompt(Map<String, NDArray> p, int tokens, int hidden, int enc) {
        float[] e = p.get("prompt_encoder.embedding.weight").toFloatArray();
        double[][] x = new double[tokens][];
        for (int t = 0; t < tokens; t++) {
            double[] row = new double[hidden];
            for (int d = 0; d < hidden; d++) {
                row[d] = e[t * hidden + d];
            }
            x[t] = row;
        }
        x = linear(x, p.get("prompt_encoder.mlp_head.0.weight").toFloatArray(),
                p.get("prompt_encoder.mlp_head.0.bias").toFloatArray(), hidden, enc, true);
        x = linear(x, p.get("prompt_encoder.mlp_head.2.weight").toFloatArray(),
                p.get("prompt_encoder.mlp_head.2.bias").toFloatArray(), enc, enc, true);
        return linear(x, p.get("prompt_encoder.mlp_head.4.weight").toFloatArray(),
                p.get("prompt_encoder.mlp_head.4.bias").toFloatArray(), enc, hidden, false);
    }

    private static double[][] linear(double[][] x, float[] w, float[] b, int in, int out, boolean relu) {
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double sum = b[o];
                for (int i = 0; i < in; i++) {
                    sum += (double) w[o * in + i] * x[t][i];
                }
                y[t][o] = relu ? Math.max(0, sum) : sum;
            }
        }
        return y;
    }

    @Test
    void theSoftPromptIsPeftsMlpOfTheEmbeddingPrependedLikePromptTuning() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.model(gpt2, 4)) {
                int hidden = model.config().hiddenSize();
                PTuningMethod method = ptuning(model, 3, 5);
                double[][] expected = referencePrompt(method.trainableParameters(), 3, hidden, 5);
                float[] computed;
                try (NDManager scratch = model.manager().newSubManager()) {
                    computed = method.prompt(scratch).toFloatArray();
                }
                for (int t = 0; t < 3; t++) {
                    for (int d = 0; d < hidden; d++) {
                        assertThat((double) computed[t * hidden + d]).isCloseTo(expected[t][d],
                                org.assertj.core.api.Assertions.within(1e-5));
                    }
                }
                float[] tuned = logits(model);
                // The same prompt through prompt tuning (another code path) gives the same logits.
                try (CausalLM twin = PeftFixtures.model(gpt2, 4)) {
                    PromptTuningMethod prompt = (PromptTuningMethod) new PromptTuningMethodProvider()
                            .create(new PromptTuningConfig(3, "RANDOM", ""), new PeftFixtures.Context(twin, 1));
                    prompt.prompt().set(computed);
                    assertThat(maxDiff(logits(twin), tuned)).as(gpt2 ? "gpt2" : "llama").isLessThan(1e-5);
                }
            }
        }
    }

    @Test
    void parameterCountIsPefts() {
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            long d = model.config().hiddenSize();
            long enc = 6;
            assertThat(ptuning(model, 5, 6).trainableParameterCount())
                    .isEqualTo(5 * d + (d * enc + enc) + (enc * enc + enc) + (enc * d + d));
        }
    }

    @Test
    void trainingChangesOnlyTheEncoder() {
        try (CausalLM model = PeftFixtures.llama(7)) {
            PTuningMethod method = ptuning(model, 3, 0);
            Map<String, float[]> baseBefore = snapshot(model.parameters());
            Map<String, float[]> encoderBefore = snapshot(method.trainableParameters());

            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
            snapshot(model.parameters()).forEach((name, values) ->
                    assertThat(values).as(name).containsExactly(baseBefore.get(name)));
            method.trainableParameters().forEach((name, array) ->
                    assertThat(array.toFloatArray()).as(name).isNotEqualTo(encoderBefore.get(name)));
        }
    }

    @Test
    void savesTheEncodedPromptWhichLoadsWithoutTheMlp(@TempDir Path dir) throws Exception {
        float[] tuned;
        try (CausalLM model = PeftFixtures.llama(2)) {
            PTuningMethod method = ptuning(model, 3, 5);
            PeftFixtures.randomize(method, 8, 0, 0.5);
            tuned = logits(model);
            method.saveAdapter(dir, "tiny-llama");
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(json.get("peft_type").asText()).isEqualTo("P_TUNING");
        assertThat(json.get("encoder_reparameterization_type").asText()).isEqualTo("MLP");
        assertThat(json.get("encoder_hidden_size").asInt()).isEqualTo(5);
        try (CausalLM model = PeftFixtures.llama(2)) {
            PTuningMethod loaded = ptuning(model, 3, 5);
            loaded.loadAdapter(dir);

            assertThat(maxDiff(logits(model), tuned)).isLessThan(1e-5);
            assertThat(loaded.trainableParameters()).containsOnlyKeys("prompt_encoder.embedding.weight");
        }
    }
}
