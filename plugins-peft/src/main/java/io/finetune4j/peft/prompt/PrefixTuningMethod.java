package io.finetune4j.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.api.model.ModelConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Prefix tuning on one model, as PEFT's {@code PrefixEncoder} and {@code PeftModel.get_prompt}: trainable keys
 * and values for {@code num_virtual_tokens} past positions of every layer, given to each forward as its
 * {@link ForwardInput#pastKeyValues()} (with ones prepended to an attention mask, as PEFT does). The flat prefix
 * {@code [virtual, layers·2·token_dim]} is laid out as PEFT reads it: viewed as
 * {@code [batch, virtual, layers·2, kv_heads, head_dim]} and permuted to {@code [layers·2, batch, kv_heads,
 * virtual, head_dim]}, entry {@code 2l} being layer {@code l}'s keys and {@code 2l+1} its values; token_dim is
 * {@code kv_heads · head_dim} (PEFT's grouped-query rule, #1901). The keys are used as given: no rotary embedding
 * is applied to them. Initialisation follows PEFT ({@code nn.Embedding}'s {@code N(0, 1)}; the MLP's
 * {@code nn.Linear} default, uniform in {@code ±1/sqrt(fan_in)}). The base is frozen. Creating the method
 * registers {@link #prepare} as the model's input transform; a prepared input carries a non-empty cache, so it
 * is never prepared twice.
 */
public final class PrefixTuningMethod implements VirtualTokenMethod {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "PREFIX_TUNING";

    private final PrefixTuningConfig config;
    private final CausalLM model;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int tokenDim;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    /** {@code [virtual, layers·2·token_dim]} without projection; {@code [virtual, token_dim]} with it. */
    private final NDArray embedding;
    private final NDArray[] transform; // w0 [enc, token_dim], b0 [enc], w2 [layers·2·token_dim, enc], b2; or null

    PrefixTuningMethod(PrefixTuningConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        ModelConfig c = model.config();
        this.layers = c.numHiddenLayers();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.tokenDim = kvHeads * headDim;
        int tokens = config.numVirtualTokens();
        int flat = layers * 2 * tokenDim;
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
        NDManager manager = model.manager().newSubManager();
        Random random = new Random(seed);
        if (config.prefixProjection()) {
            int encoder = encoderHiddenSize();
            embedding = parameter("prompt_encoder.embedding.weight", manager.create(normal(random, tokens * tokenDim),
                    new Shape(tokens, tokenDim)));
            transform = new NDArray[] {
                parameter("prompt_encoder.transform.0.weight", manager.create(uniform(random, encoder * tokenDim, tokenDim),
                        new Shape(encoder, tokenDim))),
                parameter("prompt_encoder.transform.0.bias", manager.create(uniform(random, encoder, tokenDim))),
                parameter("prompt_encoder.transform.2.weight", manager.create(uniform(random, flat * encoder, encoder),
                        new Shape(flat, encoder))),
                parameter("prompt_encoder.transform.2.bias", manager.create(uniform(random, flat, encoder))),
            };
        } else {
            embedding = parameter(PromptAdapterFiles.TENSOR, manager.create(normal(random, tokens * flat),
                    new Shape(tokens, flat)));
            transform = null;
        }
        model.addInputTransform(this::prepare);
    }

    private int encoderHiddenSize() {
        return config.encoderHiddenSize() > 0 ? config.encoderHiddenSize() : tokenDim;
    }

    private NDArray parameter(String name, NDArray array) {
        array.setRequiresGradient(true);
        trainable.put(name, array);
        return array;
    }

    private static float[] normal(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] uniform(Random random, int size, int fanIn) {
        double bound = 1 / Math.sqrt(fanIn);
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (bound * (2 * random.nextDouble() - 1));
        }
        return values;
    }

    /** The flat prefix {@code [virtual, layers·2·token_dim]}, computed in {@code step} (through the MLP if any). */
    NDArray flatPrefix(NDManager step) {
        Shape shape = embedding.getShape();
        NDArray x = step.zeros(shape).add(embedding); // step-owned copy leads, so results join the step
        if (transform == null) {
            return x;
        }
        NDArray hidden = x.getNDArrayInternal().linear(x, transform[0], transform[1]).singletonOrThrow(); // [virtual, enc]
        NDArray activated = Activation.tanh(hidden);
        return activated.getNDArrayInternal().linear(activated, transform[2], transform[3]).singletonOrThrow();
    }

    @Override
    public ForwardInput prepare(ForwardInput input) {
        if (!model.adaptersEnabled() || (input.pastKeyValues() != null && input.pastKeyValues().length() > 0)) {
            return input;
        }
        NDManager step = input.inputIds().getManager();
        long batch = input.inputIds().getShape().get(0);
        int tokens = config.numVirtualTokens();
        NDArray flat = flatPrefix(step);                                                     // [virtual, L·2·D]
        NDArray expanded = step.zeros(new Shape(batch, tokens, flat.getShape().get(1))).add(flat); // [batch, virtual, L·2·D]
        NDArray split = expanded.reshape(batch, tokens, 2L * layers, kvHeads, headDim)      // [batch, virtual, L·2, kv, hd]
                .transpose(2, 0, 3, 1, 4);                                                   // [L·2, batch, kv, virtual, hd]
        KvCache cache = new KvCache(layers);
        for (int layer = 0; layer < layers; layer++) {
            cache.set(layer, split.get(2L * layer), split.get(2L * layer + 1));             // [batch, kv, virtual, hd]
        }
        ForwardInput prepared = input.withCache(cache, input.useCache());
        NDArray mask = input.attentionMask();
        if (mask != null && mask.getShape().get(1) == input.inputIds().getShape().get(1)) {
            NDArray ones = step.ones(new Shape(batch, tokens), mask.getDataType());
            prepared = prepared.withAttentionMask(ones.concat(mask, 1));                  // [batch, virtual + seq]
        }
        return prepared;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    public PrefixTuningConfig config() {
        return config;
    }

    /**
     * PEFT's {@code get_prompt_embedding_to_save}: the flat prefix, the MLP folded in. Saved with
     * {@code prefix_projection: false}, since the file holds the plain prefix that PEFT (and {@link #loadAdapter})
     * read into a plain embedding.
     */
    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        Map<String, Object> json = PromptAdapterFiles.commonConfig(PEFT_TYPE, model, config.numVirtualTokens(),
                kvHeads, tokenDim, baseModelNameOrPath);
        json.put("encoder_hidden_size", encoderHiddenSize());
        json.put("prefix_projection", false);
        try (NDManager scratch = model.manager().newSubManager()) {
            NDArray flat = flatPrefix(scratch);
            PromptAdapterFiles.write(dir, json, scratch.create(flat.toFloatArray(), flat.getShape()));
        }
    }

    @Override
    public void loadAdapter(Path dir) {
        if (transform != null) {
            // PEFT: "Cannot load flattened prompt embeddings when prefix_projection=True"
            throw new io.finetune4j.api.ConfigException(io.finetune4j.runtime.io.PeftAdapterDirectory.configFile(dir)
                    + ": a saved prefix is plain; load it with prefix_projection: false");
        }
        embedding.set(PromptAdapterFiles.read(dir, PEFT_TYPE, config.numVirtualTokens(), embedding.getShape()));
    }
}
