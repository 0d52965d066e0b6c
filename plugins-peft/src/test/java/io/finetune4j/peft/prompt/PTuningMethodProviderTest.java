package io.finetune4j.peft.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PTuningMethodProviderTest implements MethodProviderContract<PTuningConfig> {
    @Override
    public PTuningMethodProvider provider() {
        return new PTuningMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.llama(1), 3));
    }

    /**
     * PEFT saves P-tuning's encoded prompt, not the encoder (the MLP is a training-time reparameterisation), so
     * what survives save and load is the prompt: the loaded embedding equals the MLP output that was saved.
     */
    @Override
    @Test
    public void adapterSurvivesSaveAndLoad(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        float[] encoded;
        try (io.finetune4j.api.model.CausalLM model = PeftFixtures.llama(1)) {
            PTuningMethod method = (PTuningMethod) provider().create(provider().defaults(), new PeftFixtures.Context(model, 3));
            PeftFixtures.randomize(method, 4, 0, 0.5);
            try (ai.djl.ndarray.NDManager scratch = model.manager().newSubManager()) {
                encoded = method.prompt(scratch).toFloatArray();
            }
            method.saveAdapter(dir, "tiny");
        }
        try (io.finetune4j.api.model.CausalLM model = PeftFixtures.llama(1)) {
            PTuningMethod method = (PTuningMethod) provider().create(provider().defaults(), new PeftFixtures.Context(model, 3));
            method.loadAdapter(dir);
            assertThat(method.trainableParameters().get("prompt_encoder.embedding.weight").toFloatArray())
                    .containsExactly(encoded);
        }
    }

    private static List<String> problems(PTuningConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new PTuningMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsArePeftsMlpEncoder() {
        assertThat(provider().defaults()).isEqualTo(new PTuningConfig(20, "MLP", 0, 2, 0.0));
        assertThat(provider().peftType()).contains("P_TUNING");
    }

    @Test
    void rejectsTheLstmEncoderAndBadSizesByField() {
        assertThat(problems(new PTuningConfig(0, "LSTM", -1, 0, 1.0))).containsExactly(
                "stages[0].method.num_virtual_tokens: must be > 0, was 0",
                "stages[0].method.encoder_reparameterization_type: must be MLP (PEFT's recommended encoder; LSTM is "
                        + "not implemented), was 'LSTM'",
                "stages[0].method.encoder_hidden_size: must be >= 0 (0 means the model's hidden size), was -1",
                "stages[0].method.encoder_num_layers: must be >= 1, was 0",
                "stages[0].method.encoder_dropout: must be in [0, 1), was 1.0");
    }
}
