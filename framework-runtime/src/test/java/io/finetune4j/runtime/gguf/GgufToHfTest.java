package io.finetune4j.runtime.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.io.LoadedTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufToHfTest {
    @TempDir
    Path temp;

    @Test
    void unpermuteRestoresHalfRotationOrderOfOneHead() {
        // One head of dim 4, one column: llama.cpp's permute stores HF rows [r0, r1, r2, r3] as [r0, r2, r1, r3].
        float[] gguf = {10, 12, 11, 13};

        assertThat(GgufToHf.unpermute(gguf, 4, 1, 1)).containsExactly(10, 11, 12, 13);
    }

    @Test
    void unpermuteInvertsLlamaCppPermute() {
        int heads = 4;
        int rows = 32;
        int cols = 3;
        float[] hf = new float[rows * cols];
        Random random = new Random(7);
        for (int i = 0; i < hf.length; i++) {
            hf[i] = random.nextFloat();
        }

        float[] roundTrip = GgufToHf.unpermute(llamaCppPermute(hf, rows, cols, heads), rows, cols, heads);

        assertThat(roundTrip).containsExactly(hf);
    }

    /**
     * convert_hf_to_gguf.py's {@code w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2)
     * .reshape(rows, cols)}, transcribed as index arithmetic: output element {@code [h, j, t, c]} is input
     * element {@code [h, t, j, c]}.
     */
    static float[] llamaCppPermute(float[] w, int rows, int cols, int heads) {
        int half = rows / heads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int t = 0; t < 2; t++) {
                    for (int c = 0; c < cols; c++) {
                        out[((h * half + j) * 2 + t) * cols + c] = w[((h * 2 + t) * half + j) * cols + c];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void halfRotationOverConvertedWeightsGivesTheAttentionScoresOfInterleavedRotationOverGgufWeights() {
        GgufReader gguf = GgufReader.open(GgufReaderTest.stories260K());
        Map<String, GgufToHf.HfTensor> hf = GgufToHf.hfTensors(gguf);
        int hidden = 64;
        int heads = 8;
        int kvHeads = 4;
        int headDim = 8;
        Random random = new Random(11);
        double[] x = random.doubles(hidden, -1, 1).toArray();
        double[] y = random.doubles(hidden, -1, 1).toArray();
        int queryPos = 9;
        int keyPos = 4;

        for (int layer = 0; layer < 5; layer++) {
            double[] ggufQ = matVec(gguf.readFloats("blk." + layer + ".attn_q.weight"), x, heads * headDim);
            double[] ggufK = matVec(gguf.readFloats("blk." + layer + ".attn_k.weight"), y, kvHeads * headDim);
            double[] hfQ = matVec(hf.get("model.layers." + layer + ".self_attn.q_proj.weight").values(), x, heads * headDim);
            double[] hfK = matVec(hf.get("model.layers." + layer + ".self_attn.k_proj.weight").values(), y, kvHeads * headDim);
            for (int h = 0; h < heads; h++) {
                int kv = h / (heads / kvHeads);
                double interleaved = dot(ropeInterleaved(ggufQ, h, headDim, queryPos), ropeInterleaved(ggufK, kv, headDim, keyPos));
                double halfRotation = dot(ropeHalf(hfQ, h, headDim, queryPos), ropeHalf(hfK, kv, headDim, keyPos));
                assertThat(halfRotation).as("layer %d head %d", layer, h).isCloseTo(interleaved, within(1e-9));
            }
        }
    }

    @Test
    void convertWritesAHuggingFaceCheckpointTheRuntimeReads() throws Exception {
        Path file = GgufReaderTest.stories260K();
        GgufReader gguf = GgufReader.open(file);

        GgufToHf.convert(file, temp);

        assertThat(temp.resolve("tokenizer.json")).isRegularFile();
        assertThat(temp.resolve("tokenizer_config.json")).isRegularFile();
        assertThat(temp.resolve("generation_config.json")).isRegularFile();
        ModelConfig config = CheckpointReader.readConfig(temp);
        assertThat(config.modelType()).isEqualTo("llama");
        assertThat(config.vocabSize()).isEqualTo(512);
        assertThat(config.hiddenSize()).isEqualTo(64);
        assertThat(config.numHiddenLayers()).isEqualTo(5);
        assertThat(config.numAttentionHeads()).isEqualTo(8);
        assertThat(config.numKeyValueHeads()).isEqualTo(4);
        assertThat(config.intermediateSize()).isEqualTo(172);
        assertThat(config.normEps()).isEqualTo(1e-5);
        assertThat(config.ropeTheta()).isEqualTo(10000.0);
        assertThat(config.tieWordEmbeddings()).isTrue();
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedTensors weights = CheckpointReader.readWeights(temp, manager);
            Map<String, NDArray> tensors = weights.tensors();
            // Embedding, 9 tensors per layer, final norm; the classifier equals the embedding and is tied.
            assertThat(tensors).hasSize(1 + 9 * 5 + 1).doesNotContainKey("lm_head.weight");
            assertThat(tensors.get("model.embed_tokens.weight").getShape()).isEqualTo(new Shape(512, 64));
            assertThat(tensors.get("model.layers.4.self_attn.k_proj.weight").getShape()).isEqualTo(new Shape(32, 64));
            assertThat(tensors.get("model.layers.2.mlp.down_proj.weight").getShape()).isEqualTo(new Shape(64, 172));
            assertThat(tensors.get("model.layers.2.mlp.gate_proj.weight").getShape()).isEqualTo(new Shape(172, 64));
            assertThat(tensors.get("model.embed_tokens.weight").toFloatArray())
                    .containsExactly(gguf.readFloats("token_embd.weight"));
            assertThat(tensors.get("model.layers.3.self_attn.v_proj.weight").toFloatArray())
                    .containsExactly(gguf.readFloats("blk.3.attn_v.weight"));
            assertThat(tensors.get("model.layers.3.post_attention_layernorm.weight").toFloatArray())
                    .containsExactly(gguf.readFloats("blk.3.ffn_norm.weight"));
        }
        assertThat(Files.readString(temp.resolve("config.json"))).contains("\"tie_word_embeddings\" : true");
    }

    @Test
    void rejectsAnArchitectureOtherThanLlama() throws Exception {
        Path file = temp.resolve("gpt2.gguf");
        GgufReaderTest.GgufBytes bytes = new GgufReaderTest.GgufBytes(3, 0, 1);
        bytes.key("general.architecture", GgufReader.VALUE_STRING).string("gpt2");
        Files.write(file, bytes.toByteArray());

        assertThatThrownBy(() -> GgufToHf.convert(file, temp.resolve("out"))).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": general.architecture is 'gpt2'; only 'llama' converts");
        assertThat(temp.resolve("out")).doesNotExist();
    }

    /** run.c's rope over head {@code h}: adjacent pairs (2i, 2i+1) turn by pos · 10000^(-2i/d). */
    private static double[] ropeInterleaved(double[] v, int h, int d, int pos) {
        double[] out = new double[d];
        for (int i = 0; i < d; i += 2) {
            double angle = pos * Math.pow(10000, -(double) i / d);
            double a = v[h * d + i];
            double b = v[h * d + i + 1];
            out[i] = a * Math.cos(angle) - b * Math.sin(angle);
            out[i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
        }
        return out;
    }

    /** transformers' apply_rotary_pos_emb over head {@code h}: x·cos + rotate_half(x)·sin, pairs (i, i + d/2). */
    private static double[] ropeHalf(double[] v, int h, int d, int pos) {
        double[] out = new double[d];
        int half = d / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(10000, -2.0 * i / d);
            double a = v[h * d + i];
            double b = v[h * d + i + half];
            out[i] = a * Math.cos(angle) - b * Math.sin(angle);
            out[i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
        return out;
    }

    private static double[] matVec(float[] w, double[] x, int rows) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < x.length; c++) {
                out[r] += w[r * x.length + c] * x[c];
            }
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
