package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent, plain-Java double-precision forward of one sequence (positions 0..T-1, causal), written
 * from transformers' modeling_llama.py and modeling_gpt2.py, over a model's parameters.
 */
public final class ReferenceModel {
    private final ModelConfig config;
    private final Map<String, double[]> weights = new HashMap<>();
    private final String prefix;
    private boolean skipSublayers;

    private ReferenceModel(ModelConfig config, Map<String, NDArray> parameters) {
        this.config = config;
        parameters.forEach((name, array) -> {
            float[] values = array.toFloatArray();
            double[] copy = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                copy[i] = values[i];
            }
            weights.put(name, copy);
        });
        if ("gpt2".equals(config.modelType())) {
            prefix = weights.containsKey("transformer.wte.weight") ? "transformer." : "";
        } else {
            prefix = weights.containsKey("model.embed_tokens.weight") ? "model." : "";
        }
    }

    public static ReferenceModel of(CausalLM model) {
        return new ReferenceModel(model.config(), model.parameters());
    }

    /** Leaves the residual stream untouched by every attention and MLP output (for hook tests). */
    public ReferenceModel skippingSublayers() {
        skipSublayers = true;
        return this;
    }

    /** {@code [T][vocab]} logits of {@code ids}. */
    public double[][] logits(long[] ids) {
        return "gpt2".equals(config.modelType()) ? gpt2(ids) : llama(ids);
    }

    private double[][] llama(long[] ids) {
        int t = ids.length;
        int hidden = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int headDim = config.headDim(); // Qwen3: explicit head_dim
        double[] embed = w(prefix + "embed_tokens.weight");
        double[][] h = new double[t][];
        for (int i = 0; i < t; i++) {
            h[i] = row(embed, (int) ids[i], hidden);
        }
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            String p = prefix + "layers." + layer + ".";
            double[][] x = rmsNorm(h, w(p + "input_layernorm.weight"));
            double[][] q = linear(x, p + "self_attn.q_proj", heads * headDim);
            double[][] k = linear(x, p + "self_attn.k_proj", kvHeads * headDim);
            double[][] v = linear(x, p + "self_attn.v_proj", kvHeads * headDim);
            if (weights.containsKey(p + "self_attn.q_norm.weight")) {
                // Qwen3: RMSNorm over each head's head_dim, before RoPE
                headNorm(q, heads, headDim, w(p + "self_attn.q_norm.weight"));
                headNorm(k, kvHeads, headDim, w(p + "self_attn.k_norm.weight"));
            }
            rope(q, heads, headDim);
            rope(k, kvHeads, headDim);
            double[][] attended = attention(q, k, v, heads, kvHeads, headDim);
            double[][] out = linear(attended, p + "self_attn.o_proj", hidden);
            addInto(h, out);
            x = rmsNorm(h, w(p + "post_attention_layernorm.weight"));
            double[][] gate = linear(x, p + "mlp.gate_proj", config.intermediateSize());
            double[][] up = linear(x, p + "mlp.up_proj", config.intermediateSize());
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < gate[i].length; j++) {
                    double g = gate[i][j];
                    gate[i][j] = g / (1 + Math.exp(-g)) * up[i][j];
                }
            }
            addInto(h, linear(gate, p + "mlp.down_proj", hidden));
        }
        h = rmsNorm(h, w(prefix + "norm.weight"));
        double[] head = weights.containsKey("lm_head.weight") && !config.tieWordEmbeddings() ? w("lm_head.weight") : embed;
        return matmulTransposed(h, head, config.vocabSize());
    }

    private double[][] gpt2(long[] ids) {
        int t = ids.length;
        int hidden = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int headDim = hidden / heads;
        double eps = config.normEps();
        double[] wte = w(prefix + "wte.weight");
        double[] wpe = w(prefix + "wpe.weight");
        double[][] h = new double[t][hidden];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < hidden; j++) {
                h[i][j] = wte[(int) ids[i] * hidden + j] + wpe[i * hidden + j];
            }
        }
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            String p = prefix + "h." + layer + ".";
            double[][] x = layerNorm(h, w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps);
            double[][] qkv = conv1d(x, p + "attn.c_attn", 3 * hidden);
            double[][] q = new double[t][hidden];
            double[][] k = new double[t][hidden];
            double[][] v = new double[t][hidden];
            for (int i = 0; i < t; i++) {
                System.arraycopy(qkv[i], 0, q[i], 0, hidden);
                System.arraycopy(qkv[i], hidden, k[i], 0, hidden);
                System.arraycopy(qkv[i], 2 * hidden, v[i], 0, hidden);
            }
            double[][] attended = attention(q, k, v, heads, heads, headDim);
            addInto(h, conv1d(attended, p + "attn.c_proj", hidden));
            x = layerNorm(h, w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps);
            double[][] inner = conv1d(x, p + "mlp.c_fc", 4 * hidden);
            for (double[] r : inner) {
                for (int j = 0; j < r.length; j++) {
                    double a = r[j];
                    r[j] = 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
                }
            }
            addInto(h, conv1d(inner, p + "mlp.c_proj", hidden));
        }
        h = layerNorm(h, w(prefix + "ln_f.weight"), w(prefix + "ln_f.bias"), eps);
        return matmulTransposed(h, wte, config.vocabSize());
    }

    /** Causal softmax(q k / sqrt(d)) v; query head h reads kv head h / (heads / kvHeads). */
    private static double[][] attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int headDim) {
        int t = q.length;
        double[][] out = new double[t][heads * headDim];
        for (int head = 0; head < heads; head++) {
            int kvHead = head / (heads / kvHeads);
            for (int i = 0; i < t; i++) {
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += q[i][head * headDim + d] * k[j][kvHead * headDim + d];
                    }
                    scores[j] = dot / Math.sqrt(headDim);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int d = 0; d < headDim; d++) {
                        out[i][head * headDim + d] += scores[j] / sum * v[j][kvHead * headDim + d];
                    }
                }
            }
        }
        return out;
    }

    /** HF rotary at position i: pairs (x[j], x[j + d/2]) rotate by i * theta^(-2j/d). */
    private void rope(double[][] x, int heads, int headDim) {
        double theta = config.ropeTheta();
        int half = headDim / 2;
        for (int i = 0; i < x.length; i++) {
            for (int head = 0; head < heads; head++) {
                int base = head * headDim;
                for (int j = 0; j < half; j++) {
                    double angle = i * Math.pow(theta, -2.0 * j / headDim);
                    double a = x[i][base + j];
                    double b = x[i][base + j + half];
                    x[i][base + j] = a * Math.cos(angle) - b * Math.sin(angle);
                    x[i][base + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
                }
            }
        }
    }

    private double[][] rmsNorm(double[][] h, double[] weight) {
        double[][] out = new double[h.length][];
        for (int i = 0; i < h.length; i++) {
            double mean = 0;
            for (double value : h[i]) {
                mean += value * value;
            }
            mean /= h[i].length;
            double scale = 1 / Math.sqrt(mean + config.normEps());
            out[i] = new double[h[i].length];
            for (int j = 0; j < h[i].length; j++) {
                out[i][j] = weight[j] * h[i][j] * scale;
            }
        }
        return out;
    }

    /** Qwen3RMSNorm on every head: x[h*d .. h*d+d) scaled by 1 / rms over those d values, times weight. */
    private void headNorm(double[][] x, int heads, int headDim, double[] weight) {
        for (double[] row : x) {
            for (int head = 0; head < heads; head++) {
                double mean = 0;
                for (int d = 0; d < headDim; d++) {
                    mean += row[head * headDim + d] * row[head * headDim + d];
                }
                double scale = 1 / Math.sqrt(mean / headDim + config.normEps());
                for (int d = 0; d < headDim; d++) {
                    row[head * headDim + d] = weight[d] * row[head * headDim + d] * scale;
                }
            }
        }
    }

    private static double[][] layerNorm(double[][] h, double[] weight, double[] bias, double eps) {
        double[][] out = new double[h.length][];
        for (int i = 0; i < h.length; i++) {
            int n = h[i].length;
            double mean = 0;
            for (double value : h[i]) {
                mean += value / n;
            }
            double variance = 0;
            for (double value : h[i]) {
                variance += (value - mean) * (value - mean) / n;
            }
            out[i] = new double[n];
            for (int j = 0; j < n; j++) {
                out[i][j] = (h[i][j] - mean) / Math.sqrt(variance + eps) * weight[j] + bias[j];
            }
        }
        return out;
    }

    /** nn.Linear: weight [out, in], optional bias. */
    private double[][] linear(double[][] x, String module, int out) {
        double[][] y = matmulTransposed(x, w(module + ".weight"), out);
        double[] bias = weights.get(module + ".bias");
        if (bias != null) {
            for (double[] r : y) {
                for (int o = 0; o < out; o++) {
                    r[o] += bias[o];
                }
            }
        }
        return y;
    }

    /** GPT-2 Conv1D: weight [in, out], bias [out]. */
    private double[][] conv1d(double[][] x, String module, int out) {
        double[] weight = w(module + ".weight");
        double[] bias = w(module + ".bias");
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                for (int j = 0; j < in; j++) {
                    sum += x[i][j] * weight[j * out + o];
                }
                y[i][o] = sum;
            }
        }
        return y;
    }

    /** x [n][in] times weight [out, in] transposed. */
    private static double[][] matmulTransposed(double[][] x, double[] weight, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int j = 0; j < in; j++) {
                    sum += x[i][j] * weight[o * in + j];
                }
                y[i][o] = sum;
            }
        }
        return y;
    }

    private void addInto(double[][] h, double[][] delta) {
        if (skipSublayers) {
            return;
        }
        for (int i = 0; i < h.length; i++) {
            for (int j = 0; j < h[i].length; j++) {
                h[i][j] += delta[i][j];
            }
        }
    }

    private static double[] row(double[] matrix, int row, int width) {
        double[] out = new double[width];
        System.arraycopy(matrix, row * width, out, 0, width);
        return out;
    }

    private double[] w(String name) {
        double[] values = weights.get(name);
        if (values == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return values;
    }
}
