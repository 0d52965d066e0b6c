package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
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

class DropoutTest {
    @Test
    void dropsAboutTheRateAndScalesTheRestAsTorchDoes() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(3);
            float[] out = Dropouts.apply(manager.ones(new Shape(100_000)), 0.25f).toFloatArray();
            int zeros = 0;
            for (float value : out) {
                if (value == 0f) {
                    zeros++;
                } else {
                    assertThat(value).isCloseTo(1f / 0.75f, within(1e-6f));
                }
            }
            // Binomial(100000, 0.25): standard deviation ~137.
            assertThat(zeros).isBetween(25_000 - 800, 25_000 + 800);
        }
    }

    private static ModelConfig gpt2(double pdrop) {
        ModelConfig base = ModelFactory.gpt2Config(32, 16, 2, 2, 64);
        Map<String, Object> raw = new LinkedHashMap<>(base.raw());
        raw.put("attn_pdrop", pdrop);
        raw.put("resid_pdrop", pdrop);
        raw.put("embd_pdrop", pdrop);
        return new ModelConfig(base.modelType(), base.vocabSize(), base.hiddenSize(), base.numHiddenLayers(),
                base.numAttentionHeads(), base.numKeyValueHeads(), base.intermediateSize(),
                base.maxPositionEmbeddings(), base.normEps(), base.ropeTheta(), base.tieWordEmbeddings(),
                base.attentionBias(), base.hiddenAct(), raw);
    }

    @Test
    void gpt2DropsOnlyWhileTraining() {
        try (CausalLM plain = ModelFactory.random(gpt2(0.0), null, null, 9, Device.cpu());
             CausalLM dropping = ModelFactory.random(gpt2(0.3), null, null, 9, Device.cpu());
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray ids = manager.create(new long[] {1, 5, 9, 2, 7, 3}, new Shape(1, 6));
            float[] evaluation = dropping.forward(ForwardInput.of(ids)).logits().toFloatArray();
            float[] reference = plain.forward(ForwardInput.of(ids)).logits().toFloatArray();
            float[] trainingPlain = plain.forward(ForwardInput.of(ids).withTraining(true)).logits().toFloatArray();
            float[] first = dropping.forward(ForwardInput.of(ids).withTraining(true)).logits().toFloatArray();
            float[] second = dropping.forward(ForwardInput.of(ids).withTraining(true)).logits().toFloatArray();

            assertThat(evaluation).containsExactly(reference);
            assertThat(trainingPlain).containsExactly(reference);
            assertThat(first).isNotEqualTo(reference);
            assertThat(first).isNotEqualTo(second);
        }
    }

    @Test
    void aRateOutsideZeroToOneIsNamed() {
        assertThatThrownBy(() -> ModelFactory.random(gpt2(1.0), null, null, 9, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("attn_pdrop must be a number in [0, 1), was 1.0");
    }
}
