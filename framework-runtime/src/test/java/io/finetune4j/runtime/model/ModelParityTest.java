package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The NDArray forward against the plain-Java double reference, over the same tiny weights. */
class ModelParityTest {
    private static final long[] IDS = {3, 17, 5, 9, 30, 1, 12, 7, 22, 4};
    private static final double TOLERANCE = 1e-4;

    @Test
    void llamaLogitsMatchDoubleReference() {
        try (CausalLM model = TestModels.llama("llama", 2, 2, false, 1)) {
            assertMatchesReference(model);
        }
    }

    @Test
    void groupedQueryAttentionMatchesReference() {
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, 2)) {
            assertMatchesReference(model);
        }
        try (CausalLM model = TestModels.llama("llama", 4, 2, false, 3)) {
            assertMatchesReference(model);
        }
    }

    @Test
    void qwen2WithBiasesAndTiedHeadMatchesReference() {
        try (CausalLM model = TestModels.llama("qwen2", 2, 1, true, 4)) {
            assertThat(model.parameters()).containsKeys("model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.v_proj.bias")
                    .doesNotContainKeys("model.layers.0.self_attn.o_proj.bias", "lm_head.weight");
            assertMatchesReference(model);
        }
    }

    @Test
    void mistralMatchesReference() {
        try (CausalLM model = TestModels.llama("mistral", 2, 1, false, 5)) {
            assertMatchesReference(model);
        }
    }

    @Test
    void tiedLlamaHasNoLmHead() {
        try (CausalLM model = TestModels.llama("llama", 2, 2, true, 6)) {
            assertThat(model.parameters()).doesNotContainKey("lm_head.weight");
            assertThat(model.linears()).doesNotContainKey("lm_head");
            assertMatchesReference(model);
        }
    }

    @Test
    void gpt2LogitsMatchDoubleReference() {
        try (CausalLM model = TestModels.gpt2(7)) {
            assertMatchesReference(model);
        }
    }

    @Test
    void gpt2LinearsAreTransposedConv1dLayers() {
        try (CausalLM model = TestModels.gpt2(8)) {
            assertThat(model.linears().keySet()).containsExactly(
                    "transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj",
                    "transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_fc", "transformer.h.1.mlp.c_proj");
            Linear attention = model.linears().get("transformer.h.0.attn.c_attn");
            assertThat(attention.transposed()).isTrue();
            assertThat(attention.inFeatures()).isEqualTo(16);
            assertThat(attention.outFeatures()).isEqualTo(48);
            assertThat(attention.weight().getShape().getShape()).containsExactly(16, 48);
        }
    }

    @Test
    void llamaLinearsAreNamedAsInTransformers() {
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, 9)) {
            assertThat(model.linears().keySet()).startsWith(
                    "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj",
                    "model.layers.0.self_attn.o_proj", "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
                    "model.layers.0.mlp.down_proj").endsWith("lm_head").hasSize(15);
            Linear keys = model.linears().get("model.layers.0.self_attn.k_proj");
            assertThat(keys.outFeatures()).isEqualTo(8); // one kv head of head_dim 8
            assertThat(keys.transposed()).isFalse();
        }
    }

    private static void assertMatchesReference(CausalLM model) {
        double[][] expected = ReferenceModel.of(model).logits(IDS);
        float[][] actual = TestModels.logits(model, IDS);
        assertThat(actual.length).isEqualTo(IDS.length);
        // The weights are large enough that the logits spread: a wrong forward cannot hide in noise.
        double spread = Arrays.stream(expected[IDS.length - 1]).max().orElseThrow() - Arrays.stream(expected[IDS.length - 1]).min().orElseThrow();
        assertThat(spread).isGreaterThan(0.5);
        assertThat(maxDiff(expected, actual)).isLessThan(TOLERANCE);
    }
}
