package io.finetune4j.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.TextTokenizer;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Prompt tuning on one model, as PEFT's {@code PromptEmbedding}: a trainable soft prompt
 * {@code [num_virtual_tokens, hidden]} prepended to the token embeddings of every forward
 * ({@link ForwardInput#prefixEmbeddings()}); the virtual tokens are always attended and get no logits. The base
 * is frozen. Unlike the other adapters the model does not start equal to the base: the soft prompt is attended
 * from the first step. Creating the method registers {@link #prepare} as the model's input transform.
 */
public final class PromptTuningMethod implements VirtualTokenMethod {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "PROMPT_TUNING";

    private final PromptTuningConfig config;
    private final CausalLM model;
    private final NDArray prompt;
    /** The prefix embeddings of the last input prepared: an input carrying them is not prepared again. */
    private volatile WeakReference<NDArray> lastPrefix = new WeakReference<>(null);

    PromptTuningMethod(PromptTuningConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        int hidden = model.config().hiddenSize();
        int tokens = config.numVirtualTokens();
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
        float[] values = "TEXT".equals(config.promptTuningInit()) ? textInit(model, config)
                : randomNormal(new Random(seed), tokens * hidden);
        this.prompt = model.manager().newSubManager().create(values, new Shape(tokens, hidden)); // [virtual, hidden]
        prompt.setRequiresGradient(true);
        model.addInputTransform(this::prepare);
    }

    /** PEFT's TEXT init: embeddings of the text's tokens (special tokens included), repeated then truncated. */
    private static float[] textInit(CausalLM model, PromptTuningConfig config) {
        TextTokenizer tokenizer = model.tokenizer();
        if (tokenizer == null) {
            throw new ConfigException("prompt_tuning_init: TEXT needs the model's tokenizer, and this model has none");
        }
        long[] ids = tokenizer.encode(config.promptTuningInitText(), true);
        if (ids.length == 0) {
            throw new ConfigException("prompt_tuning_init_text: '" + config.promptTuningInitText() + "' has no tokens");
        }
        int tokens = config.numVirtualTokens();
        long[] repeated = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            repeated[i] = ids[i % ids.length]; // ids * ceil(n / len), then [:n]
        }
        NDArray embeddings = embeddingMatrix(model);
        int hidden = Math.toIntExact(embeddings.getShape().get(1));
        float[] table = embeddings.toFloatArray();
        float[] values = new float[tokens * hidden];
        for (int i = 0; i < tokens; i++) {
            if (repeated[i] < 0 || repeated[i] >= embeddings.getShape().get(0)) {
                throw new ConfigException("prompt_tuning_init_text: token id " + repeated[i]
                        + " is outside the model's vocabulary of " + embeddings.getShape().get(0));
            }
            System.arraycopy(table, Math.toIntExact(repeated[i] * hidden), values, i * hidden, hidden);
        }
        return values;
    }

    /** The input embedding matrix {@code [vocab, hidden]}: Llama's {@code embed_tokens}, GPT-2's {@code wte}. */
    static NDArray embeddingMatrix(CausalLM model) {
        for (Map.Entry<String, NDArray> entry : model.parameters().entrySet()) {
            String name = entry.getKey();
            if (name.endsWith("embed_tokens.weight") || name.endsWith("wte.weight")) {
                return entry.getValue();
            }
        }
        throw new IllegalStateException(model + " has no input embedding matrix");
    }

    private static float[] randomNormal(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian(); // nn.Embedding's default init, N(0, 1)
        }
        return values;
    }

    @Override
    public ForwardInput prepare(ForwardInput input) {
        if (!model.adaptersEnabled() || (input.pastKeyValues() != null && input.pastKeyValues().length() > 0)
                || (input.prefixEmbeddings() != null && input.prefixEmbeddings() == lastPrefix.get())) {
            return input;
        }
        NDManager step = input.inputIds().getManager();
        long batch = input.inputIds().getShape().get(0);
        // a step-owned zero array leads, so the broadcast copy joins the step; the gradient sums over the batch
        NDArray soft = step.zeros(new Shape(batch, prompt.getShape().get(0), prompt.getShape().get(1))).add(prompt);
        NDArray given = input.prefixEmbeddings();
        NDArray prefix = given == null ? soft : soft.concat(given, 1); // [batch, virtual, hidden]
        lastPrefix = new WeakReference<>(prefix);
        return input.withPrefixEmbeddings(prefix);
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Map.of(PromptAdapterFiles.TENSOR, prompt);
    }

    public PromptTuningConfig config() {
        return config;
    }

    /** The soft prompt, {@code [num_virtual_tokens, hidden]}. */
    public NDArray prompt() {
        return prompt;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        Map<String, Object> json = PromptAdapterFiles.commonConfig(PEFT_TYPE, model, config.numVirtualTokens(),
                model.config().numAttentionHeads(), model.config().hiddenSize(), baseModelNameOrPath);
        json.put("prompt_tuning_init", config.promptTuningInit());
        json.put("prompt_tuning_init_text", "TEXT".equals(config.promptTuningInit()) ? config.promptTuningInitText() : null);
        json.put("tokenizer_kwargs", null);
        json.put("tokenizer_name_or_path", "TEXT".equals(config.promptTuningInit()) ? baseModelNameOrPath : null);
        PromptAdapterFiles.write(dir, json, prompt);
    }

    @Override
    public void loadAdapter(Path dir) {
        prompt.set(PromptAdapterFiles.read(dir, PEFT_TYPE, config.numVirtualTokens(), prompt.getShape()));
    }
}
