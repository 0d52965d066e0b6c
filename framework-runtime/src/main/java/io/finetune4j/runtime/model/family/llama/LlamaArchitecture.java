package io.finetune4j.runtime.model.family.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import io.finetune4j.runtime.model.RmsNorm;
import io.finetune4j.runtime.model.RopeScaling;
import io.finetune4j.runtime.model.RotaryTable;
import io.finetune4j.runtime.model.Scalars;
import io.finetune4j.runtime.model.TensorSpec;
import io.finetune4j.runtime.model.Architecture;
import io.finetune4j.runtime.model.Attention;
import io.finetune4j.runtime.model.Dropouts;
import io.finetune4j.runtime.model.ForwardPlan;
import io.finetune4j.runtime.model.ForwardState;
import io.finetune4j.runtime.model.ModelParts;
import io.finetune4j.runtime.model.RawConfig;
import io.finetune4j.runtime.model.RmsNorm;
import io.finetune4j.runtime.model.RopeScaling;
import io.finetune4j.runtime.model.RotaryTable;
import io.finetune4j.runtime.model.Scalars;
import io.finetune4j.runtime.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Llama, Mistral and Qwen2 (transformers' {@code modeling_llama.py} / {@code modeling_qwen2.py}):
 * RMSNorm pre-norm blocks, rotary attention with grouped-query heads, SiLU-gated MLP. Other families of
 * the same shape reuse it with their own {@link Options} (Qwen3: a {@link QueryKeyNorm}).
 */
public final class LlamaArchitecture implements Architecture {
    private static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6, INPUT_NORM = 7, POST_NORM = 8;

    private final ModelConfig config;
    private final String prefix;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final boolean qkvBias;
    private final boolean outputBias;
    private final boolean tied;
    private final Integer slidingWindow;
    /** Qwen2 windows only some layers (max_window_layers); refused beyond the window. */
    private final boolean perLayerWindow;
    /** {@code attention_dropout} on the attention probabilities in training (0.0 in every family's config class). */
    private final float attentionDropout;
    private final float eps;
    private final float scaling;
    private final double initStd;
    private final String[][] names;
    /** {@code model.layers.<i>.} */
    private final String[] layerPrefixes;
    private final RotaryTable rotary;
    private final QueryKeyNorm queryKeyNorm;

    /**
     * What differs between the families that share this forward.
     *
     * @param qkvBias q/k/v projections carry biases
     * @param outputBias o_proj carries a bias
     * @param windowed {@code sliding_window} applies ({@code use_sliding_window}, or always for Mistral)
     * @param perLayerWindow the window applies from {@code max_window_layers} on (Qwen2, Qwen3): refused
     *     once a sequence outgrows it
     * @param queryKeyNorm applied to queries and keys per head before RoPE
     */
    public record Options(boolean qkvBias, boolean outputBias, boolean windowed, boolean perLayerWindow,
            QueryKeyNorm queryKeyNorm) {}

    public LlamaArchitecture(ModelConfig config, Set<String> tensorNames, NDManager manager, String source, Options options) {
        this.config = config;
        RawConfig raw = new RawConfig(config.raw(), source);
        // LlamaForCausalLM names weights "model.*"; a bare LlamaModel has no prefix.
        this.prefix = tensorNames.isEmpty() || tensorNames.stream().anyMatch(name -> name.startsWith("model.")) ? "model." : "";
        this.hidden = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads() > 0 ? config.numKeyValueHeads() : heads;
        Integer explicitHeadDim = raw.integer("head_dim");
        this.headDim = explicitHeadDim != null ? explicitHeadDim : config.headDim();
        this.qkvBias = options.qkvBias();
        this.outputBias = options.outputBias();
        this.queryKeyNorm = options.queryKeyNorm();
        this.tied = config.tieWordEmbeddings();
        this.eps = (float) config.normEps();
        this.scaling = (float) Math.pow(headDim, -0.5);
        this.initStd = raw.number("initializer_range", 0.02);
        this.slidingWindow = options.windowed() ? raw.integer("sliding_window") : null;
        this.perLayerWindow = options.perLayerWindow();
        this.attentionDropout = Dropouts.rate(raw, "attention_dropout", 0f, source);
        check(config, raw, source);
        this.names = new String[config.numHiddenLayers()][];
        this.layerPrefixes = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            String layer = prefix + "layers." + i + ".";
            layerPrefixes[i] = layer;
            names[i] = new String[] {
                layer + "self_attn.q_proj", layer + "self_attn.k_proj", layer + "self_attn.v_proj", layer + "self_attn.o_proj",
                layer + "mlp.gate_proj", layer + "mlp.up_proj", layer + "mlp.down_proj",
                layer + "input_layernorm.weight", layer + "post_attention_layernorm.weight"
            };
        }
        this.rotary = new RotaryTable(manager, headDim, RopeScaling.inverseFrequencies(headDim,
                config.ropeTheta() > 0 ? config.ropeTheta() : 10000.0, RopeScaling.of(raw), source));
    }

    private void check(ModelConfig config, RawConfig raw, String source) {
        List<String> problems = new ArrayList<>();
        String act = config.hiddenAct() == null ? "silu" : config.hiddenAct();
        if (!act.equals("silu") && !act.equals("swish")) {
            problems.add(source + ": hidden_act: '" + act + "' is not supported for " + config.modelType() + "; supported: [silu]");
        }
        Object scaling = raw.get("rope_scaling");
        if (scaling != null && !(scaling instanceof java.util.Map<?, ?>)) {
            problems.add(source + ": rope_scaling: must be an object or null, was " + scaling);
        } else if (!RopeScaling.SUPPORTED.contains(RopeScaling.type(RopeScaling.of(raw)))) {
            problems.add(source + ": rope_scaling: type '" + RopeScaling.type(RopeScaling.of(raw))
                    + "' is not supported; supported: " + RopeScaling.SUPPORTED + " or null");
        }
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            problems.add(source + ": num_key_value_heads: must divide num_attention_heads (" + heads + "), was " + kvHeads);
        }
        if (raw.bool("mlp_bias", false)) {
            // The config parser refuses it too (ModelConfigJson): one rule for loaded and built models.
            problems.add(source + ": mlp_bias: MLP biases are not supported");
        }
        if (headDim % 2 != 0) {
            problems.add(source + ": head dimension must be even for rotary embeddings, was " + headDim);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    @Override
    public List<TensorSpec> tensorSpecs() {
        List<TensorSpec> specs = new ArrayList<>();
        int vocab = config.vocabSize();
        int inter = config.intermediateSize();
        specs.add(TensorSpec.normal(prefix + "embed_tokens.weight", initStd, vocab, hidden));
        for (int i = 0; i < names.length; i++) {
            String[] layer = names[i];
            linear(specs, layer[Q], heads * headDim, hidden, qkvBias);
            linear(specs, layer[K], kvHeads * headDim, hidden, qkvBias);
            linear(specs, layer[V], kvHeads * headDim, hidden, qkvBias);
            linear(specs, layer[O], hidden, heads * headDim, outputBias);
            specs.addAll(queryKeyNorm.tensorSpecs(layerPrefixes[i], headDim));
            linear(specs, layer[GATE], inter, hidden, false);
            linear(specs, layer[UP], inter, hidden, false);
            linear(specs, layer[DOWN], hidden, inter, false);
            specs.add(TensorSpec.ones(layer[INPUT_NORM], hidden));
            specs.add(TensorSpec.ones(layer[POST_NORM], hidden));
        }
        specs.add(TensorSpec.ones(prefix + "norm.weight", hidden));
        if (!tied) {
            specs.add(TensorSpec.normal("lm_head.weight", initStd, vocab, hidden));
        }
        return specs;
    }

    private void linear(List<TensorSpec> specs, String name, int out, int in, boolean bias) {
        specs.add(TensorSpec.normal(name + ".weight", initStd, out, in));
        if (bias) {
            specs.add(TensorSpec.zeros(name + ".bias", out));
        }
    }

    @Override
    public List<String> linearNames() {
        List<String> linears = new ArrayList<>();
        for (String[] layer : names) {
            for (int i = Q; i <= DOWN; i++) {
                linears.add(layer[i]);
            }
        }
        if (!tied) {
            linears.add("lm_head");
        }
        return linears;
    }

    @Override
    public boolean transposed(String linearName) {
        return false;
    }

    @Override
    public boolean tiedHead() {
        return tied;
    }

    @Override
    public String embeddingName() {
        return prefix + "embed_tokens.weight";
    }

    @Override
    public void checkLengths(ForwardPlan plan) {
        // Qwen2 applies its window only from layer max_window_layers on; one window for every layer (Mistral)
        // is what the mask implements.
        if (slidingWindow != null && perLayerWindow && plan.total > slidingWindow) {
            throw new UnsupportedOperationException(config.modelType() + ": sequence of " + plan.total
                    + " positions exceeds sliding_window " + slidingWindow + "; Qwen2's per-layer sliding window "
                    + "(max_window_layers) is not supported");
        }
    }

    @Override
    public java.util.OptionalInt slidingWindow() {
        return slidingWindow == null || perLayerWindow ? java.util.OptionalInt.empty()
                : java.util.OptionalInt.of(slidingWindow);
    }

    @Override
    public NDArray embed(ModelParts parts, NDArray inputIds, NDArray prefixEmbeddings, ForwardState state) {
        NDArray embeddings = inputIds.getNDArrayInternal()
                .embedding(inputIds, parts.tensor(embeddingName()), SparseFormat.DENSE).singletonOrThrow(); // [batch, tokens, hidden]
        if (prefixEmbeddings != null) {
            embeddings = state.own(prefixEmbeddings.concat(embeddings, 1)); // [batch, prefix+tokens, hidden]
        }
        NDArray[] table = rotary.lookup(state.plan.positions, state.plan.maxPosition);
        state.cos = table[0];
        state.sin = table[1];
        return embeddings;
    }

    @Override
    public NDArray layer(ModelParts parts, int index, NDArray hidden, ForwardState state) {
        String[] layer = names[index];
        boolean training = state.training;
        long batch = state.plan.batch;
        long length = state.plan.length;
        Scalars scalars = parts.scalars();

        NDArray x = rmsNorm(hidden, parts.tensor(layer[INPUT_NORM]), scalars);
        NDArray q = parts.linear(layer[Q]).forward(x, training).reshape(batch, length, heads, headDim);
        NDArray k = parts.linear(layer[K]).forward(x, training).reshape(batch, length, kvHeads, headDim);
        NDArray v = parts.linear(layer[V]).forward(x, training).reshape(batch, length, kvHeads, headDim);
        q = queryKeyNorm.apply(parts, layerPrefixes[index], true, q); // [batch, length, heads, head_dim]
        k = queryKeyNorm.apply(parts, layerPrefixes[index], false, k);
        q = RotaryTable.apply(q, state.cos, state.sin).transpose(0, 2, 1, 3); // [batch, heads, length, head_dim]
        k = RotaryTable.apply(k, state.cos, state.sin).transpose(0, 2, 1, 3); // [batch, kv_heads, length, head_dim]
        v = v.transpose(0, 2, 1, 3);
        NDArray[] kv = state.keysAndValues(index, k, v);
        NDArray attended = Attention.attend(q, kv[0], kv[1], state.plan.mask, scalars.of(scaling),
                        training ? attentionDropout : 0f)
                .transpose(0, 2, 1, 3)
                .reshape(batch, length, (long) heads * headDim); // [batch, length, heads*head_dim]
        NDArray attention = parts.linear(layer[O]).forward(attended, training);
        attention = parts.hooks(index, HookPoint.AFTER_ATTENTION, attention, hidden, training);
        hidden = hidden.add(attention);

        x = rmsNorm(hidden, parts.tensor(layer[POST_NORM]), scalars);
        NDArray gate = parts.linear(layer[GATE]).forward(x, training);
        NDArray up = parts.linear(layer[UP]).forward(x, training);
        NDArray mlp = parts.linear(layer[DOWN]).forward(gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up), training);
        mlp = parts.hooks(index, HookPoint.AFTER_MLP, mlp, hidden, training);
        return hidden.add(mlp);
    }

    @Override
    public NDArray finalNorm(ModelParts parts, NDArray hidden) {
        return rmsNorm(hidden, parts.tensor(prefix + "norm.weight"), parts.scalars());
    }

    private NDArray rmsNorm(NDArray x, NDArray weight, Scalars scalars) {
        return RmsNorm.apply(x, weight, scalars.of(eps));
    }
}
