package io.finetune4j.runtime.gguf;

/**
 * A plain-Java, double-precision port of the forward pass of Karpathy's llama2.c {@code run.c}, reading
 * the weights straight from a GGUF file. It shares nothing with the runtime: no DJL, no Hugging Face
 * layout, no permutation. GGUF (like llama2.c) keeps q/k rows in the Meta layout where RoPE rotates
 * adjacent pairs {@code (2i, 2i+1)} of each head, which is exactly what run.c does, so the weights are
 * used as stored. It is the independent computation the runtime's Llama forward is checked against.
 */
final class Llama2cReference {
    private final int dim;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headSize;
    private final int hidden;
    private final int vocab;
    private final double eps;
    private final double ropeTheta;
    private final float[] embedding;   // [vocab, dim]
    private final float[] classifier;  // [vocab, dim]
    private final float[] finalNorm;   // [dim]
    private final Layer[] blocks;

    /** One block's weights, row-major {@code [out, in]} as GGUF stores them. */
    private record Layer(float[] attnNorm, float[] wq, float[] wk, float[] wv, float[] wo,
                         float[] ffnNorm, float[] gate, float[] up, float[] down) {}

    Llama2cReference(GgufReader gguf) {
        this.dim = (int) gguf.getLong("llama.embedding_length");
        this.layers = (int) gguf.getLong("llama.block_count");
        this.heads = (int) gguf.getLong("llama.attention.head_count");
        this.kvHeads = gguf.has("llama.attention.head_count_kv")
                ? (int) gguf.getLong("llama.attention.head_count_kv") : heads;
        this.headSize = dim / heads;
        this.hidden = (int) gguf.getLong("llama.feed_forward_length");
        this.eps = gguf.getDouble("llama.attention.layer_norm_rms_epsilon");
        this.ropeTheta = gguf.getDouble("llama.rope.freq_base", 10000.0);
        this.embedding = gguf.readFloats("token_embd.weight");
        this.vocab = embedding.length / dim;
        this.classifier = gguf.tensors().containsKey("output.weight") ? gguf.readFloats("output.weight") : embedding;
        this.finalNorm = gguf.readFloats("output_norm.weight");
        this.blocks = new Layer[layers];
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            blocks[l] = new Layer(gguf.readFloats(p + "attn_norm.weight"), gguf.readFloats(p + "attn_q.weight"),
                    gguf.readFloats(p + "attn_k.weight"), gguf.readFloats(p + "attn_v.weight"),
                    gguf.readFloats(p + "attn_output.weight"), gguf.readFloats(p + "ffn_norm.weight"),
                    gguf.readFloats(p + "ffn_gate.weight"), gguf.readFloats(p + "ffn_up.weight"),
                    gguf.readFloats(p + "ffn_down.weight"));
        }
    }

    int vocabSize() {
        return vocab;
    }

    /** Logits of every position of {@code tokens}, {@code [seq][vocab]}, with causal attention from position 0. */
    double[][] forward(long[] tokens) {
        Session session = new Session(tokens.length);
        double[][] logits = new double[tokens.length][];
        for (int pos = 0; pos < tokens.length; pos++) {
            logits[pos] = session.step(tokens[pos]);
        }
        return logits;
    }

    /** Greedy continuation of {@code prompt}: {@code count} argmax tokens, as run.c with temperature 0. */
    long[] greedy(long[] prompt, int count) {
        Session session = new Session(prompt.length + count);
        double[] logits = null;
        for (long id : prompt) {
            logits = session.step(id);
        }
        long[] out = new long[count];
        for (int n = 0; n < count; n++) {
            out[n] = argmax(logits);
            if (n + 1 < count) {
                logits = session.step(out[n]);
            }
        }
        return out;
    }

    /** One sequence being decoded: run.c's RunState, a key/value cache per layer. */
    private final class Session {
        private final double[][][] keyCache;
        private final double[][][] valueCache;
        private int pos;

        Session(int capacity) {
            keyCache = new double[layers][capacity][];
            valueCache = new double[layers][capacity][];
        }

        /** Feeds the token at the next position and returns that position's logits. */
        double[] step(long tokenId) {
            int kvDim = kvHeads * headSize;
            int token = Math.toIntExact(tokenId);
            double[] x = new double[dim];
            for (int i = 0; i < dim; i++) {
                x[i] = embedding[token * dim + i];
            }
            for (int l = 0; l < layers; l++) {
                Layer w = blocks[l];
                double[] xb = rmsNorm(x, w.attnNorm());
                double[] q = matVec(w.wq(), xb, dim);
                double[] k = matVec(w.wk(), xb, kvDim);
                double[] v = matVec(w.wv(), xb, kvDim);
                rotate(q, pos);
                rotate(k, pos);
                keyCache[l][pos] = k;
                valueCache[l][pos] = v;
                add(x, matVec(w.wo(), attend(q, l), dim));
                double[] xf = rmsNorm(x, w.ffnNorm());
                double[] gate = matVec(w.gate(), xf, hidden);
                double[] up = matVec(w.up(), xf, hidden);
                for (int i = 0; i < hidden; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i]; // SwiGLU: silu(gate) * up
                }
                add(x, matVec(w.down(), gate, dim));
            }
            pos++;
            return matVec(classifier, rmsNorm(x, finalNorm), vocab);
        }

        /** Grouped-query attention of {@code q} over positions 0..pos of layer {@code l}. */
        private double[] attend(double[] q, int l) {
            double[] attended = new double[dim];
            int group = heads / kvHeads;
            for (int h = 0; h < heads; h++) {
                int kvOffset = (h / group) * headSize;
                double[] scores = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double score = 0;
                    for (int i = 0; i < headSize; i++) {
                        score += q[h * headSize + i] * keyCache[l][t][kvOffset + i];
                    }
                    scores[t] = score / Math.sqrt(headSize);
                    max = Math.max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) {
                    scores[t] = Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int t = 0; t <= pos; t++) {
                    for (int i = 0; i < headSize; i++) {
                        attended[h * headSize + i] += scores[t] / sum * valueCache[l][t][kvOffset + i];
                    }
                }
            }
            return attended;
        }
    }

    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** run.c's rope: pairs (i, i+1) of each head turn by pos · theta^(-(i mod headSize)/headSize). */
    private void rotate(double[] vector, int pos) {
        for (int i = 0; i < vector.length; i += 2) {
            int headDimIndex = i % headSize;
            double angle = pos / Math.pow(ropeTheta, (double) headDimIndex / headSize);
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double v0 = vector[i];
            double v1 = vector[i + 1];
            vector[i] = v0 * cos - v1 * sin;
            vector[i + 1] = v0 * sin + v1 * cos;
        }
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double squares = 0;
        for (double v : x) {
            squares += v * v;
        }
        double scale = 1 / Math.sqrt(squares / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = weight[i] * (x[i] * scale);
        }
        return out;
    }

    /** {@code w [rows, x.length] · x}. */
    private static double[] matVec(float[] w, double[] x, int rows) {
        int cols = x.length;
        if (w.length != rows * cols) {
            throw new IllegalArgumentException("weight of " + w.length + " elements is not [" + rows + ", " + cols + "]");
        }
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += w[r * cols + c] * x[c];
            }
            out[r] = sum;
        }
        return out;
    }

    private static void add(double[] target, double[] delta) {
        for (int i = 0; i < target.length; i++) {
            target[i] += delta[i];
        }
    }
}
