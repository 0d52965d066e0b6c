package io.finetune4j.runtime.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.model.family.ModelFamilies;
import io.finetune4j.runtime.model.family.ModelShape;
import io.finetune4j.runtime.model.family.llama.LlamaFamily;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Builds models from tensors or with random weights, and tiny configs for tests and benchmarks. */
public final class ModelFactory {
    private ModelFactory() {}

    /**
     * A model of {@code config} with random weights (Hugging Face's init: normal(0, initializer_range)
     * for linears and embeddings, GPT-2's residual projections scaled by 1/sqrt(2 n_layer), zero biases,
     * norms one). Weights come from a {@link SplittableRandom} seeded with {@code seed}: the same seed
     * gives the same weights on every machine.
     *
     * @param tokenizer the model's tokenizer (not closed by the model); may be null for math-only tests
     * @param tokenizerDir tokenizer files copied on save, or null
     */
    public static CausalLM random(ModelConfig config, TextTokenizer tokenizer, Path tokenizerDir, long seed, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            String source = "random " + config.modelType() + " model";
            Architecture architecture = TransformerModel.architecture(config, Map.of(), manager, source);
            SplittableRandom random = new SplittableRandom(seed);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (TensorSpec spec : architecture.tensorSpecs()) {
                float[] data = new float[Math.toIntExact(spec.shape().size())];
                switch (spec.init()) {
                    case NORMAL -> {
                        for (int i = 0; i < data.length; i++) {
                            data[i] = (float) (random.nextGaussian() * spec.std());
                        }
                    }
                    case ONES -> Arrays.fill(data, 1f);
                    case ZEROS -> { }
                }
                tensors.put(spec.name(), manager.create(data, spec.shape()));
            }
            return TransformerModel.create(config, tensors, Map.of(), tokenizer, false, tokenizerDir, manager, source);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A model over {@code tensors} (Hugging Face names, checkpoint order, float32), which must live in
     * {@code manager}; the model takes ownership of the manager and closes it on {@link CausalLM#close()}.
     *
     * @param storedTypes the dtype each tensor is saved in (missing: F32)
     * @param tokenizerDir tokenizer files copied on save, or null
     * @throws io.finetune4j.api.ConfigException naming each missing or misshapen tensor
     */
    public static CausalLM fromTensors(ModelConfig config, Map<String, NDArray> tensors, Map<String, DataType> storedTypes,
            TextTokenizer tokenizer, Path tokenizerDir, NDManager manager) {
        return TransformerModel.create(config, tensors, storedTypes, tokenizer, false, tokenizerDir, manager, "tensors");
    }

    /**
     * The config random models of {@code modelType} are built from: a valid config.json of that family with
     * the given shape (its family fills in the rest).
     *
     * @throws io.finetune4j.api.ConfigException when no family runs {@code modelType}
     */
    public static ModelConfig config(String modelType, ModelShape shape) {
        return ModelFamilies.find(modelType).orElseThrow(() -> new ConfigException("model_type '" + modelType
                + "' is not supported; supported: " + ModelFamilies.modelTypes())).randomConfig(modelType, shape);
    }

    /** A Llama config ({@code LlamaForCausalLM}, untied head, rms_norm_eps 1e-6, rope_theta 10000). */
    public static ModelConfig llamaConfig(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate, int maxPositions) {
        return llamaFamilyConfig("llama", vocab, hidden, layers, heads, kvHeads, intermediate, maxPositions, false);
    }

    /**
     * A Llama-family config whose raw map is a valid config.json for {@code modelType}: {@code llama},
     * {@code mistral} (no sliding window) or {@code qwen2} (q/k/v biases).
     */
    public static ModelConfig llamaFamilyConfig(String modelType, int vocab, int hidden, int layers, int heads, int kvHeads,
            int intermediate, int maxPositions, boolean tieWordEmbeddings) {
        if (!new LlamaFamily().modelTypes().contains(modelType)) {
            throw new IllegalArgumentException("not a Llama-family model_type: " + modelType);
        }
        return config(modelType, new ModelShape(vocab, hidden, layers, heads, kvHeads, intermediate, maxPositions,
                tieWordEmbeddings, 0));
    }

    /** A GPT-2 config ({@code GPT2LMHeadModel}, tied head, gelu_new, n_inner 4 x hidden, no dropout). */
    public static ModelConfig gpt2Config(int vocab, int hidden, int layers, int heads, int maxPositions) {
        return config("gpt2", new ModelShape(vocab, hidden, layers, heads, heads, 4 * hidden, maxPositions, true, 0));
    }
}
