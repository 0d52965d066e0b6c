package io.finetune4j.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * P-tuning (Liu et al., 2021) as PEFT's {@code PromptEncoder} with the {@code MLP} reparameterisation
 * ({@code peft/tuners/p_tuning/model.py}): the soft prompt prepended to every input is
 * {@code MLP(E)}, {@code E} a trainable {@code [num_virtual_tokens, hidden]} embedding (N(0, 1)) and the MLP
 * {@code Linear(hidden, enc) → ReLU → Linear(enc, enc) → ReLU → Linear(enc, hidden)} (torch's default uniform
 * init, ±1/√fan_in). Saving writes PEFT's {@code prompt_embeddings}: the MLP's output, as
 * {@code get_prompt_embedding_to_save} does; loading puts them into the embedding and drops the MLP, as PEFT's
 * inference mode runs the embedding alone. Otherwise it works like {@link PromptTuningMethod}.
 */
public final class PTuningMethod implements VirtualTokenMethod {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "P_TUNING";

    private final PTuningConfig config;
    private final CausalLM model;
    private final int encoderHidden;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final NDArray embedding;                  // [virtual, hidden]
    private final NDArray[] mlp;                      // w0 [enc, hidden], b0, w2 [enc, enc], b2, w4 [hidden, enc], b4
    /** False once a saved prompt was loaded: the embedding then is the prompt and the MLP is not used. */
    private volatile boolean encoderActive = true;
    private volatile WeakReference<NDArray> lastPrefix = new WeakReference<>(null);

    PTuningMethod(PTuningConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        int hidden = model.config().hiddenSize();
        int tokens = config.numVirtualTokens();
        this.encoderHidden = config.encoderHiddenSize() > 0 ? config.encoderHiddenSize() : hidden;
        int enc = encoderHidden;
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
        NDManager manager = model.manager().newSubManager();
        Random random = new Random(seed);
        embedding = parameter("prompt_encoder.embedding.weight",
                manager.create(normal(random, tokens * hidden), new Shape(tokens, hidden)));
        mlp = new NDArray[] {
            parameter("prompt_encoder.mlp_head.0.weight", manager.create(uniform(random, enc * hidden, hidden), new Shape(enc, hidden))),
            parameter("prompt_encoder.mlp_head.0.bias", manager.create(uniform(random, enc, hidden))),
            parameter("prompt_encoder.mlp_head.2.weight", manager.create(uniform(random, enc * enc, enc), new Shape(enc, enc))),
            parameter("prompt_encoder.mlp_head.2.bias", manager.create(uniform(random, enc, enc))),
            parameter("prompt_encoder.mlp_head.4.weight", manager.create(uniform(random, hidden * enc, enc), new Shape(hidden, enc))),
            parameter("prompt_encoder.mlp_head.4.bias", manager.create(uniform(random, hidden, enc))),
        };
        model.addInputTransform(this::prepare);
    }

    private NDArray parameter(String name, NDArray array) {
        array.setRequiresGradient(true);
        trainable.put(name, array);
        return array;
    }

    private static float[] normal(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian(); // nn.Embedding's default init, N(0, 1)
        }
        return values;
    }

    private static float[] uniform(Random random, int size, int fanIn) {
        double bound = 1 / Math.sqrt(fanIn); // nn.Linear's default init for weight and bias
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (bound * (2 * random.nextDouble() - 1));
        }
        return values;
    }

    /** The soft prompt {@code [virtual, hidden]}, computed in {@code step} (through the MLP while it is active). */
    NDArray prompt(NDManager step) {
        NDArray x = step.zeros(embedding.getShape()).add(embedding); // step-owned copy leads, so results join the step
        if (!encoderActive) {
            return x;
        }
        NDArray h = Activation.relu(x.getNDArrayInternal().linear(x, mlp[0], mlp[1]).singletonOrThrow());   // [virtual, enc]
        h = Activation.relu(h.getNDArrayInternal().linear(h, mlp[2], mlp[3]).singletonOrThrow());          // [virtual, enc]
        return h.getNDArrayInternal().linear(h, mlp[4], mlp[5]).singletonOrThrow();                          // [virtual, hidden]
    }

    @Override
    public ForwardInput prepare(ForwardInput input) {
        if (!model.adaptersEnabled() || (input.pastKeyValues() != null && input.pastKeyValues().length() > 0)
                || (input.prefixEmbeddings() != null && input.prefixEmbeddings() == lastPrefix.get())) {
            return input;
        }
        NDManager step = input.inputIds().getManager();
        long batch = input.inputIds().getShape().get(0);
        NDArray soft = prompt(step);                                                             // [virtual, hidden]
        NDArray expanded = step.zeros(new Shape(batch, soft.getShape().get(0), soft.getShape().get(1))).add(soft);
        NDArray given = input.prefixEmbeddings();
        NDArray prefix = given == null ? expanded : expanded.concat(given, 1);                 // [batch, virtual, hidden]
        lastPrefix = new WeakReference<>(prefix);
        return input.withPrefixEmbeddings(prefix);
    }

    /** The embedding and the MLP while training; the embedding alone once a saved prompt was loaded. */
    @Override
    public Map<String, NDArray> trainableParameters() {
        if (!encoderActive) {
            return Map.of("prompt_encoder.embedding.weight", embedding);
        }
        return Collections.unmodifiableMap(trainable);
    }

    public PTuningConfig config() {
        return config;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        int hidden = model.config().hiddenSize();
        Map<String, Object> json = PromptAdapterFiles.commonConfig(PEFT_TYPE, model, config.numVirtualTokens(),
                model.config().numAttentionHeads(), hidden, baseModelNameOrPath);
        json.put("encoder_reparameterization_type", config.encoderReparameterizationType());
        json.put("encoder_hidden_size", encoderHidden);
        json.put("encoder_num_layers", config.encoderNumLayers());
        json.put("encoder_dropout", config.encoderDropout());
        try (NDManager scratch = model.manager().newSubManager()) {
            NDArray prompt = prompt(scratch);
            PromptAdapterFiles.write(dir, json, scratch.create(prompt.toFloatArray(), prompt.getShape()));
        }
    }

    @Override
    public void loadAdapter(Path dir) {
        embedding.set(PromptAdapterFiles.read(dir, PEFT_TYPE, config.numVirtualTokens(), embedding.getShape()));
        encoderActive = false;
        for (NDArray layer : mlp) {
            layer.setRequiresGradient(false);
        }
    }
}
