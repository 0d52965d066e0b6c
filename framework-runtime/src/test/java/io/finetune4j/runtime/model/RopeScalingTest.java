package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RopeScalingTest {
    /** Llama 3.2 1B's rope settings. */
    private static final Map<String, Object> LLAMA32 = Map.of("rope_type", "llama3", "factor", 32.0,
            "low_freq_factor", 1.0, "high_freq_factor", 4.0, "original_max_position_embeddings", 8192);

    @Test
    void llama3FrequenciesFollowTheThreeBandsOfTheFormula() {
        int headDim = 64;
        double theta = 500000;
        float[] scaled = RopeScaling.inverseFrequencies(headDim, theta, LLAMA32, "test");
        int low = 0;
        int medium = 0;
        int high = 0;
        for (int i = 0; i < headDim / 2; i++) {
            double f = 1 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / f;
            double expected;
            if (wavelen < 8192 / 4.0) {
                expected = f;                                     // high frequency: unchanged
                high++;
            } else if (wavelen > 8192 / 1.0) {
                expected = f / 32;                                // low frequency: interpolated
                low++;
            } else {
                double smooth = (8192 / wavelen - 1) / (4 - 1);   // in between: blended
                expected = (1 - smooth) * f / 32 + smooth * f;
                medium++;
            }
            assertThat((double) scaled[i]).as("frequency %d", i).isCloseTo(expected, within(2e-6 * expected));
        }
        assertThat(low).isPositive();
        assertThat(medium).isPositive();
        assertThat(high).isPositive();
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RopeScaling.inverseFrequencies(16, 10000, null, "test");
        float[] linear = RopeScaling.inverseFrequencies(16, 10000, Map.of("type", "linear", "factor", 4.0), "test");
        for (int i = 0; i < plain.length; i++) {
            assertThat(linear[i]).isEqualTo(plain[i] / 4f);
        }
    }

    @Test
    void aLlama3ModelRunsAndDiffersFromPlainRopeOnlyThroughItsPositions() {
        Map<String, Object> raw = new LinkedHashMap<>(ModelFactory.llamaConfig(32, 16, 1, 2, 1, 24, 64).raw());
        ModelConfig plainConfig = ModelFactory.llamaConfig(32, 16, 1, 2, 1, 24, 64);
        raw.put("rope_scaling", Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
                "high_freq_factor", 4.0, "original_max_position_embeddings", 16));
        ModelConfig scaledConfig = new ModelConfig("llama", 32, 16, 1, 2, 1, 24, 64, plainConfig.normEps(),
                plainConfig.ropeTheta(), plainConfig.tieWordEmbeddings(), plainConfig.attentionBias(), "silu", raw);
        try (CausalLM plain = ModelFactory.random(plainConfig, null, null, 5, Device.cpu());
             CausalLM scaled = ModelFactory.random(scaledConfig, null, null, 5, Device.cpu());
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray one = manager.create(new long[] {3}, new Shape(1, 1));
            NDArray many = manager.create(new long[] {3, 7, 1, 9, 4, 4, 2, 8}, new Shape(1, 8));
            // Position 0 has angle 0 under any scaling: the same weights give the same logits.
            assertThat(scaled.forward(ForwardInput.of(one)).logits().toFloatArray())
                    .containsExactly(plain.forward(ForwardInput.of(one)).logits().toFloatArray(), within(1e-6f));
            float[] a = scaled.forward(ForwardInput.of(many)).logits().toFloatArray();
            float[] b = plain.forward(ForwardInput.of(many)).logits().toFloatArray();
            assertThat(a).isNotEqualTo(b);
        }
    }

    @Test
    void missingFieldsAndUnknownTypesAreNamed() {
        assertThatThrownBy(() -> RopeScaling.inverseFrequencies(16, 10000, Map.of("rope_type", "llama3", "factor", 8.0),
                "cfg.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("cfg.json: rope_scaling.low_freq_factor must be a number > 0 for rope type 'llama3', was null");
        assertThatThrownBy(() -> RopeScaling.inverseFrequencies(16, 10000, Map.of("rope_type", "yarn"), "cfg.json"))
                .hasMessage("cfg.json: rope_scaling type 'yarn' is not supported; supported: [default, linear, llama3]");
    }
}
