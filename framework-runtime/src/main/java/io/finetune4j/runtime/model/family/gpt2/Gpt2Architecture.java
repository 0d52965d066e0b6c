package io.finetune4j.runtime.model.family.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.Architecture;
import io.finetune4j.runtime.model.Attention;
import io.finetune4j.runtime.model.Dropouts;
import io.finetune4j.runtime.model.ForwardPlan;
import io.finetune4j.runtime.model.ForwardState;
import io.finetune4j.runtime.model.ModelParts;
import io.finetune4j.runtime.model.RawConfig;
import io.finetune4j.runtime.model.Scalars;
import io.finetune4j.runtime.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GPT-2 (transformers' {@code modeling_gpt2.py}): learned positions, LayerNorm pre-norm blocks, fused
 * Conv1D q/k/v projection ({@code c_attn}, weight {@code [in, 3*hidden]}), {@code gelu_new} MLP, tied head.
 */
final class Gpt2Architecture implements Architecture {
    private static final int LN1_W = 0, LN1_B = 1, ATTN = 2, ATTN_PROJ = 3, LN2_W = 4, LN2_B = 5, FC = 6, MLP_PROJ = 7;
    private static final float TWO_K = (float) (2 * Math.sqrt(2.0 / Math.PI));

    private final ModelConfig config;
    private final String prefix;
    private final int hidden;
    private final int heads;
    private final int headDim;
    private final int positions;
    private final boolean tied;
    private final boolean tanhGelu;
    private final float eps;
    private final float[] scales;
    private final double initStd;
    private final String[][] names;
    /** {@code attn_pdrop}, {@code resid_pdrop}, {@code embd_pdrop}: GPT2Config's defaults are 0.1 each. */
    private final float attentionDropout;
    private final float residualDropout;
    private final float embeddingDropout;

    Gpt2Architecture(ModelConfig config, Set<String> tensorNames, String source) {
        this.config = config;
        RawConfig raw = new RawConfig(config.raw(), source);
        // GPT2LMHeadModel names weights "transformer.*"; a bare GPT2Model has no prefix.
        this.prefix = tensorNames.isEmpty() || tensorNames.stream().anyMatch(name -> name.startsWith("transformer.")) ? "transformer." : "";
        this.hidden = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.headDim = hidden / heads;
        this.positions = config.maxPositionEmbeddings();
        this.tied = config.tieWordEmbeddings() || !tensorNames.isEmpty() && !tensorNames.contains("lm_head.weight");
        this.eps = (float) config.normEps();
        this.initStd = raw.number("initializer_range", 0.02);
        this.attentionDropout = Dropouts.rate(raw, "attn_pdrop", 0.1f, source);
        this.residualDropout = Dropouts.rate(raw, "resid_pdrop", 0.1f, source);
        this.embeddingDropout = Dropouts.rate(raw, "embd_pdrop", 0.1f, source);
        String act = config.hiddenAct() != null ? config.hiddenAct() : String.valueOf(raw.get("activation_function"));
        List<String> problems = new ArrayList<>();
        this.tanhGelu = !"gelu".equals(act);
        if (!List.of("gelu_new", "gelu_pytorch_tanh", "gelu").contains(act)) {
            problems.add(source + ": activation_function: '" + act + "' is not supported; supported: [gelu, gelu_new, gelu_pytorch_tanh]");
        }
        if (hidden % heads != 0) {
            problems.add(source + ": n_embd (" + hidden + ") must be divisible by n_head (" + heads + ")");
        }
        if (raw.bool("add_cross_attention", false)) {
            problems.add(source + ": add_cross_attention: cross-attention is not supported");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        boolean scaleWeights = raw.bool("scale_attn_weights", true);
        boolean byLayer = raw.bool("scale_attn_by_inverse_layer_idx", false);
        this.scales = new float[config.numHiddenLayers()];
        this.names = new String[config.numHiddenLayers()][];
        for (int i = 0; i < names.length; i++) {
            // GPT2Attention._attn divides by sqrt(head_dim) and, optionally, by layer_idx + 1.
            double divisor = (scaleWeights ? Math.sqrt(headDim) : 1.0) * (byLayer ? i + 1 : 1);
            scales[i] = (float) (1.0 / divisor);
            String block = prefix + "h." + i + ".";
            names[i] = new String[] {
                block + "ln_1.weight", block + "ln_1.bias", block + "attn.c_attn", block + "attn.c_proj",
                block + "ln_2.weight", block + "ln_2.bias", block + "mlp.c_fc", block + "mlp.c_proj"
            };
        }
    }

    @Override
    public boolean tiedHead() {
        return tied;
    }

    @Override
    public List<TensorSpec> tensorSpecs() {
        List<TensorSpec> specs = new ArrayList<>();
        int vocab = config.vocabSize();
        int inner = config.intermediateSize() > 0 ? config.intermediateSize() : 4 * hidden;
        // GPT2PreTrainedModel._init_weights: residual projections get std / sqrt(2 * n_layer).
        double projectionStd = initStd / Math.sqrt(2.0 * config.numHiddenLayers());
        specs.add(TensorSpec.normal(prefix + "wte.weight", initStd, vocab, hidden));
        specs.add(TensorSpec.normal(prefix + "wpe.weight", initStd, positions, hidden));
        for (String[] block : names) {
            specs.add(TensorSpec.ones(block[LN1_W], hidden));
            specs.add(TensorSpec.zeros(block[LN1_B], hidden));
            conv1d(specs, block[ATTN], hidden, 3L * hidden, initStd);
            conv1d(specs, block[ATTN_PROJ], hidden, hidden, projectionStd);
            specs.add(TensorSpec.ones(block[LN2_W], hidden));
            specs.add(TensorSpec.zeros(block[LN2_B], hidden));
            conv1d(specs, block[FC], hidden, inner, initStd);
            conv1d(specs, block[MLP_PROJ], inner, hidden, projectionStd);
        }
        specs.add(TensorSpec.ones(prefix + "ln_f.weight", hidden));
        specs.add(TensorSpec.zeros(prefix + "ln_f.bias", hidden));
        if (!tied) {
            specs.add(TensorSpec.normal("lm_head.weight", initStd, vocab, hidden));
        }
        return specs;
    }

    private static void conv1d(List<TensorSpec> specs, String name, long in, long out, double std) {
        specs.add(TensorSpec.normal(name + ".weight", std, in, out));
        specs.add(TensorSpec.zeros(name + ".bias", out));
    }

    @Override
    public List<String> linearNames() {
        List<String> linears = new ArrayList<>();
        for (String[] block : names) {
            linears.add(block[ATTN]);
            linears.add(block[ATTN_PROJ]);
            linears.add(block[FC]);
            linears.add(block[MLP_PROJ]);
        }
        if (!tied) {
            linears.add("lm_head");
        }
        return linears;
    }

    @Override
    public boolean transposed(String linearName) {
        return !"lm_head".equals(linearName);
    }

    @Override
    public String embeddingName() {
        return prefix + "wte.weight";
    }

    @Override
    public void checkLengths(ForwardPlan plan) {
        if (plan.maxPosition >= positions) {
            throw new IllegalArgumentException("gpt2: position " + plan.maxPosition
                    + " is beyond the learned position embeddings (n_positions " + positions + ")");
        }
    }

    @Override
    public NDArray embed(ModelParts parts, NDArray inputIds, NDArray prefixEmbeddings, ForwardState state) {
        NDArray tokens = inputIds.getNDArrayInternal()
                .embedding(inputIds, parts.tensor(prefix + "wte.weight"), SparseFormat.DENSE).singletonOrThrow(); // [batch, tokens, hidden]
        if (prefixEmbeddings != null) {
            tokens = state.own(prefixEmbeddings.concat(tokens, 1)); // [batch, prefix+tokens, hidden]
        }
        NDArray positionIds = state.plan.positions;
        NDArray learned = positionIds.getNDArrayInternal()
                .embedding(positionIds, parts.tensor(prefix + "wpe.weight"), SparseFormat.DENSE).singletonOrThrow(); // [rows, length, hidden]
        NDArray embedded = tokens.add(learned);
        return state.training ? Dropouts.apply(embedded, embeddingDropout) : embedded;
    }

    @Override
    public NDArray layer(ModelParts parts, int index, NDArray hidden, ForwardState state) {
        String[] block = names[index];
        boolean training = state.training;
        long batch = state.plan.batch;
        long length = state.plan.length;

        NDArray x = layerNorm(hidden, parts.tensor(block[LN1_W]), parts.tensor(block[LN1_B]));
        NDList qkv = parts.linear(block[ATTN]).forward(x, training).split(3, 2); // 3 x [batch, length, hidden]
        NDArray q = qkv.get(0).reshape(batch, length, heads, headDim).transpose(0, 2, 1, 3); // [batch, heads, length, head_dim]
        NDArray k = qkv.get(1).reshape(batch, length, heads, headDim).transpose(0, 2, 1, 3);
        NDArray v = qkv.get(2).reshape(batch, length, heads, headDim).transpose(0, 2, 1, 3);
        NDArray[] kv = state.keysAndValues(index, k, v);
        NDArray attended = Attention.attend(q, kv[0], kv[1], state.plan.mask, parts.scalars().of(scales[index]),
                        training ? attentionDropout : 0f)
                .transpose(0, 2, 1, 3)
                .reshape(batch, length, this.hidden); // [batch, length, hidden]
        NDArray attention = parts.linear(block[ATTN_PROJ]).forward(attended, training);
        if (training) {
            attention = Dropouts.apply(attention, residualDropout);
        }
        attention = parts.hooks(index, HookPoint.AFTER_ATTENTION, attention, hidden, training);
        hidden = hidden.add(attention);

        x = layerNorm(hidden, parts.tensor(block[LN2_W]), parts.tensor(block[LN2_B]));
        NDArray inner = parts.linear(block[FC]).forward(x, training);
        NDArray mlp = parts.linear(block[MLP_PROJ]).forward(gelu(inner, parts.scalars()), training);
        if (training) {
            mlp = Dropouts.apply(mlp, residualDropout);
        }
        mlp = parts.hooks(index, HookPoint.AFTER_MLP, mlp, hidden, training);
        return hidden.add(mlp);
    }

    @Override
    public NDArray finalNorm(ModelParts parts, NDArray hidden) {
        return layerNorm(hidden, parts.tensor(prefix + "ln_f.weight"), parts.tensor(prefix + "ln_f.bias"));
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(hidden), weight, bias, eps).singletonOrThrow();
    }

    /**
     * NewGELUActivation, {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, computed as the equal
     * {@code x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))} in six ops (DJL's gelu is the erf form, which
     * {@code activation_function: gelu} does ask for).
     */
    private NDArray gelu(NDArray x, Scalars scalars) {
        if (!tanhGelu) {
            return x.getNDArrayInternal().gelu();
        }
        NDArray inner = x.square().mul(scalars.of(TWO_K * 0.044715f)).add(scalars.of(TWO_K)).mul(x);
        return inner.getNDArrayInternal().sigmoid().mul(x);
    }
}
