package io.finetune4j.runtime.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.ModelFactory;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GgufLayoutTest {
    /**
     * numpy's {@code w.reshape(n, 2, rows // n // 2, cols).swapaxes(1, 2).reshape(rows, cols)}, done the numpy way:
     * the output's multi-index over shape (n, half, 2, cols) read from the input at the swapped index over
     * (n, 2, half, cols), both in C order.
     */
    static float[] numpyPermute(float[] w, int rows, int cols, int n) {
        int half = rows / n / 2;
        int[] outShape = {n, half, 2, cols};
        int[] inShape = {n, 2, half, cols};
        float[] out = new float[w.length];
        for (int flat = 0; flat < w.length; flat++) {
            int[] index = new int[4];
            int rest = flat;
            for (int axis = 3; axis >= 0; axis--) {
                index[axis] = rest % outShape[axis];
                rest /= outShape[axis];
            }
            int[] source = {index[0], index[2], index[1], index[3]}; // swapaxes(1, 2)
            int from = 0;
            for (int axis = 0; axis < 4; axis++) {
                from = from * inShape[axis] + source[axis];
            }
            out[flat] = w[from];
        }
        return out;
    }

    @Test
    void permuteOfEightRowsOverTwoHeadsInterleavesEachHeadsHalves() {
        float[] rows = {0, 1, 2, 3, 4, 5, 6, 7};

        // head 0 rows [0 1 | 2 3] -> 0 2 1 3; head 1 rows [4 5 | 6 7] -> 4 6 5 7
        assertThat(GgufLayout.permute(rows, 8, 1, 2)).containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
    }

    @Test
    void permuteMatchesNumpysReshapeSwapaxesOnARandomMatrix() {
        SplittableRandom random = new SplittableRandom(3);
        int rows = 24;
        int cols = 5;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (int heads : new int[] {1, 2, 3, 6, 12}) {
            float[] permuted = GgufLayout.permute(w, rows, cols, heads);

            assertThat(permuted).as("%d heads", heads).containsExactly(numpyPermute(w, rows, cols, heads));
            assertThat(GgufLayout.unpermute(permuted, rows, cols, heads)).containsExactly(w);
        }
    }

    @Test
    void llamaAndMistralPermuteQueryAndKeyRowsButQwenDoesNot() {
        ModelConfig llama = ModelFactory.llamaFamilyConfig("llama", 32, 8, 1, 2, 1, 16, 16, false);
        ModelConfig mistral = ModelFactory.llamaFamilyConfig("mistral", 32, 8, 1, 2, 1, 16, 16, false);
        ModelConfig qwen2 = ModelFactory.llamaFamilyConfig("qwen2", 32, 8, 1, 2, 1, 16, 16, false);
        float[] q = new float[8 * 8];
        for (int i = 0; i < q.length; i++) {
            q[i] = i;
        }
        long[] qShape = {8, 8};
        long[] kShape = {4, 8};
        float[] k = java.util.Arrays.copyOf(q, 32);

        assertThat(GgufLayout.of(llama).architecture()).isEqualTo("llama");
        assertThat(GgufLayout.of(mistral).architecture()).isEqualTo("llama");
        assertThat(GgufLayout.of(llama).toGguf("model.layers.0.self_attn.q_proj.weight", qShape, q))
                .containsExactly(numpyPermute(q, 8, 8, 2));
        assertThat(GgufLayout.of(mistral).toGguf("model.layers.0.self_attn.k_proj.weight", kShape, k))
                .containsExactly(numpyPermute(k, 4, 8, 1)); // n_head_kv = 1
        assertThat(GgufLayout.of(llama).toGguf("model.layers.0.self_attn.v_proj.weight", kShape, k)).containsExactly(k);
        assertThat(GgufLayout.of(qwen2).architecture()).isEqualTo("qwen2");
        assertThat(GgufLayout.of(qwen2).toGguf("model.layers.0.self_attn.q_proj.weight", qShape, q)).containsExactly(q);
    }

    @Test
    void namesFollowLlamaCpp() {
        GgufLayout qwen3 = GgufLayout.of(ModelFactory.config("qwen3",
                new io.finetune4j.runtime.model.family.ModelShape(32, 16, 2, 4, 2, 24, 64, false, 6)));
        GgufLayout gpt2 = GgufLayout.of(ModelFactory.gpt2Config(32, 16, 2, 2, 64));
        Map<String, String> llama = Map.of(
                "model.embed_tokens.weight", "token_embd.weight",
                "model.layers.3.self_attn.q_proj.bias", "blk.3.attn_q.bias",
                "model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight",
                "model.layers.1.self_attn.k_norm.weight", "blk.1.attn_k_norm.weight",
                "model.layers.1.post_attention_layernorm.weight", "blk.1.ffn_norm.weight",
                "model.layers.1.mlp.gate_proj.weight", "blk.1.ffn_gate.weight",
                "model.norm.weight", "output_norm.weight",
                "lm_head.weight", "output.weight");
        llama.forEach((hf, gguf) -> {
            assertThat(qwen3.ggufName(hf)).isEqualTo(gguf);
            assertThat(qwen3.hfName(gguf)).contains(hf);
        });
        Map<String, String> gpt = Map.of(
                "transformer.wte.weight", "token_embd.weight",
                "transformer.wpe.weight", "position_embd.weight",
                "transformer.h.1.ln_1.bias", "blk.1.attn_norm.bias",
                "transformer.h.1.attn.c_attn.weight", "blk.1.attn_qkv.weight",
                "transformer.h.0.mlp.c_proj.weight", "blk.0.ffn_down.weight",
                "transformer.ln_f.weight", "output_norm.weight");
        gpt.forEach((hf, gguf) -> {
            assertThat(gpt2.ggufName(hf)).isEqualTo(gguf);
            assertThat(gpt2.hfName(gguf)).contains(hf);
        });
    }

    @Test
    void gpt2ConvWeightsAreTransposedAndTheirBiasesAreNot() {
        GgufLayout gpt2 = GgufLayout.of(ModelFactory.gpt2Config(32, 16, 2, 2, 64));
        float[] conv = {1, 2, 3, 4, 5, 6}; // [in 2, out 3]

        assertThat(gpt2.ggufShape("transformer.h.0.attn.c_attn.weight", new long[] {2, 3})).containsExactly(3, 2);
        assertThat(gpt2.toGguf("transformer.h.0.attn.c_attn.weight", new long[] {2, 3}, conv))
                .containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(gpt2.fromGguf("transformer.h.0.attn.c_attn.weight", new long[] {2, 3}, new float[] {1, 4, 2, 5, 3, 6}))
                .containsExactly(conv);
        assertThat(gpt2.toGguf("transformer.h.0.attn.c_attn.bias", new long[] {6}, conv)).containsExactly(conv);
    }

    @Test
    void unsupportedArchitectureIsNamed() {
        ModelConfig phi = new ModelConfig("phi3", 32, 16, 2, 2, 2, 32, 64, 1e-5, 10000, false, false, "gelu", Map.of());

        assertThatThrownBy(() -> GgufLayout.of(phi)).isInstanceOf(ConfigException.class)
                .hasMessage("GGUF export: model_type 'phi3' is not supported; supported: [llama, mistral, qwen2, qwen3, gpt2]");
    }
}
