package io.finetune4j.runtime.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.BlockHook;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.api.model.Linear;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.api.model.TargetScores;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.model.family.ModelFamilies;
import io.finetune4j.runtime.model.family.ModelFamily;
import io.finetune4j.runtime.train.BackwardTape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder-only transformer over Hugging Face tensors, in raw NDArray ops, float32. The family-specific
 * layers come from an {@link Architecture}; this class owns the weights, the linear-layer slots, the
 * hooks and the forward loop. Outputs cover the {@code inputIds} positions only: prefix (virtual token)
 * positions feed the layers and the cache but get no logits or hidden states.
 */
final class TransformerModel implements CausalLM, ModelParts {
    private static final Logger LOG = LoggerFactory.getLogger(TransformerModel.class);

    private final ModelConfig config;
    private final TextTokenizer tokenizer;
    private final boolean ownsTokenizer;
    private final Path tokenizerDir;
    private final NDManager manager;
    private final Map<String, NDArray> tensors;
    private final Map<String, DataType> storedTypes;
    private final Map<String, Linear> linears;
    private final List<Map<HookPoint, List<BlockHook>>> hooks;
    private final Architecture architecture;
    private final Scalars scalars;
    private final List<UnaryOperator<ForwardInput>> inputTransforms = new CopyOnWriteArrayList<>();
    private volatile boolean adaptersEnabled = true;

    private TransformerModel(ModelConfig config, Architecture architecture, Map<String, NDArray> tensors,
            Map<String, DataType> storedTypes, TextTokenizer tokenizer, boolean ownsTokenizer, Path tokenizerDir,
            NDManager manager) {
        this.config = config;
        this.architecture = architecture;
        this.tensors = tensors;
        this.storedTypes = storedTypes;
        this.tokenizer = tokenizer;
        this.ownsTokenizer = ownsTokenizer;
        this.tokenizerDir = tokenizerDir;
        this.manager = manager;
        this.scalars = new Scalars(manager);
        this.linears = Collections.synchronizedMap(new LinkedHashMap<>());
        Set<String> specified = new HashSet<>();
        architecture.tensorSpecs().forEach(spec -> specified.add(spec.name()));
        for (String name : architecture.linearNames()) {
            // Only biases the architecture reads; a stray bias tensor is kept but unused, as in transformers.
            NDArray bias = specified.contains(name + ".bias") ? tensors.get(name + ".bias") : null;
            linears.put(name, new DenseLinear(name, tensors.get(name + ".weight"), bias, architecture.transposed(name)));
        }
        this.hooks = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            Map<HookPoint, List<BlockHook>> points = new EnumMap<>(HookPoint.class);
            for (HookPoint point : HookPoint.values()) {
                points.put(point, new CopyOnWriteArrayList<>());
            }
            hooks.add(points);
        }
    }

    /**
     * Builds a model over {@code tensors} (float32, checkpoint order, owned by {@code manager}, which the
     * model then owns). Every tensor the architecture reads must be present with its shape; others are
     * kept (saved back unchanged) but unused.
     *
     * @param source where the tensors came from, for error messages (a directory or "random")
     */
    static TransformerModel create(ModelConfig config, Map<String, NDArray> tensors, Map<String, DataType> storedTypes,
            TextTokenizer tokenizer, boolean ownsTokenizer, Path tokenizerDir, NDManager manager, String source) {
        Map<String, NDArray> ordered = new LinkedHashMap<>(tensors);
        Architecture architecture = architecture(config, ordered, manager, source);
        Map<String, NDArray> tied = CheckpointKeys.tieStoredHead(ordered, architecture);
        Map<String, DataType> stored = storedTypes == null ? Map.of() : storedTypes;
        if (tied != ordered) {
            ordered = new LinkedHashMap<>(tied);
            String embedding = architecture.embeddingName();
            stored = new LinkedHashMap<>(stored);
            DataType headType = stored.remove(CheckpointKeys.HEAD);
            if (headType != null) {
                stored.put(embedding, headType);
            }
            architecture = architecture(config, ordered, manager, source);
        }
        CheckpointKeys.check(ordered, architecture, source);
        for (Map.Entry<String, NDArray> entry : ordered.entrySet()) {
            NDArray tensor = entry.getValue();
            // The forward is float32 (bf16 aborts the JVM on CPU); non-float buffers stay as they are.
            if (tensor.getDataType().isFloating() && tensor.getDataType() != DataType.FLOAT32) {
                NDArray converted = tensor.toType(DataType.FLOAT32, false);
                converted.attach(manager);
                tensor.close();
                entry.setValue(converted);
            }
        }
        Map<String, DataType> types = Map.copyOf(stored);
        return new TransformerModel(config, architecture, ordered, types, tokenizer, ownsTokenizer, tokenizerDir, manager);
    }

    static Architecture architecture(ModelConfig config, Map<String, NDArray> tensors, NDManager manager, String source) {
        String type = config.modelType();
        ModelFamily family = ModelFamilies.find(type).orElseThrow(() -> new ConfigException(source + ": model_type: '"
                + type + "' is not supported; supported: " + ModelFamilies.modelTypes()));
        return family.architecture(config, tensors.keySet(), manager, source);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    /** Dtypes the checkpoint stored each tensor in (F32/F16/BF16); empty for random models. */
    Map<String, DataType> storedTypes() {
        return storedTypes;
    }

    /** Where the tokenizer files came from, or null. */
    Path tokenizerDir() {
        return tokenizerDir;
    }

    @Override
    public ForwardOutput forward(ForwardInput input) {
        if (adaptersEnabled) {
            for (UnaryOperator<ForwardInput> transform : inputTransforms) {
                input = transform.apply(input);
            }
        }
        NDManager step = input.inputIds().getManager();
        KvCache past = input.pastKeyValues();
        if (past != null && past.layers() != config.numHiddenLayers()) {
            throw new IllegalArgumentException("pastKeyValues has " + past.layers() + " layers, the model " + config.numHiddenLayers());
        }
        long pastLength = past == null ? 0 : past.length();
        ForwardPlan plan = ForwardPlan.of(input, pastLength, scalars, architecture.slidingWindow());
        architecture.checkLengths(plan);
        KvCache present = input.useCache() ? new KvCache(config.numHiddenLayers()) : null;
        ForwardState state = new ForwardState(step, input.training(), plan, past, present);

        NDArray hidden = architecture.embed(this, input.inputIds(), input.prefixEmbeddings(), state); // [batch, length, hidden]
        // Any recorded forward inside a checkpointing micro-batch: the policy's forward of an objective that turns
        // dropout off (TRL's disable_dropout, training false) saves the same memory. Generation (a KV cache) never.
        java.util.Optional<BackwardTape> tape = JniUtils.isGradMode() && !input.useCache() && past == null
                ? BackwardTape.current() : java.util.Optional.empty();
        if (tape.isPresent()) {
            hidden = CheckpointedLayers.run(architecture, this, config.numHiddenLayers(), hidden, state, tape.get());
        } else {
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                hidden = architecture.layer(this, i, hidden, state);
            }
        }
        hidden = architecture.finalNorm(this, hidden);
        if (plan.prefix > 0) {
            hidden = hidden.get(new NDIndex(":, {}:, :", plan.prefix)); // [batch, tokens, hidden]
        }
        return new ForwardOutput(head(hidden, input.logits(), input.training(), plan.tokens), hidden, present);
    }

    /** Chunked over the vocabulary (see {@link ChunkedHead}) unless gradients must reach a trainable head. */
    @Override
    public TargetScores scoreTargets(ForwardInput input, NDArray targetIds) {
        return scoreTargets(input, targetIds, ChunkedHead.CHUNK_ELEMENTS);
    }

    /** {@link #scoreTargets(ForwardInput, NDArray)} with {@code chunkElements} logits a chunk. */
    TargetScores scoreTargets(ForwardInput input, NDArray targetIds, long chunkElements) {
        NDArray frozen = frozenHeadWeight();
        if (frozen == null && JniUtils.isGradMode()) {
            return TargetScores.fromLogits(forward(input.withLogits(ForwardInput.Logits.ALL_BUT_LAST)), targetIds);
        }
        ForwardOutput body = forward(input.withLogits(ForwardInput.Logits.NONE));
        NDArray hidden = body.hiddenStates();                                          // [batch, tokens, hidden]
        long tokens = hidden.getShape().get(1);
        NDArray scored = hidden.get(new NDIndex(":, 0:{}, :", Math.max(0, tokens - 1))); // [batch, tokens - 1, hidden]
        boolean training = input.training();
        return ChunkedHead.score(scored, targetIds, h -> projectHead(h, training), frozen, config.vocabSize(),
                hidden, chunkElements);
    }

    /** The LM head's weight as {@code [vocab, hidden]} when nothing in the head trains, else null. */
    private NDArray frozenHeadWeight() {
        if (architecture.tiedHead()) {
            NDArray embeddings = tensors.get(architecture.embeddingName());
            return embeddings.hasGradient() ? null : embeddings;
        }
        // A plain stored [vocab, hidden] layer only: wrappers and quantised layers compute their own weight.
        if (!(linear("lm_head") instanceof DenseLinear head) || head.transposed() || head.weight().hasGradient()
                || head.bias().map(NDArray::hasGradient).orElse(false)) {
            return null;
        }
        return head.weight();
    }

    private NDArray head(NDArray hidden, ForwardInput.Logits which, boolean training, int tokens) {
        NDArray selected = switch (which) {
            case ALL -> hidden;
            case ALL_BUT_LAST -> hidden.get(new NDIndex(":, 0:{}, :", Math.max(0, tokens - 1)));
            case LAST -> hidden.get(new NDIndex(":, {}:, :", tokens - 1));
            case NONE -> null;
        };
        if (selected == null) {
            return null;
        }
        return projectHead(selected, training);
    }

    /** {@code [..., hidden] -> [..., vocab]}. */
    private NDArray projectHead(NDArray selected, boolean training) {
        if (architecture.tiedHead()) {
            NDArray embeddings = tensors.get(architecture.embeddingName());
            return selected.getNDArrayInternal().linear(selected, embeddings, null).singletonOrThrow(); // [batch, n, vocab]
        }
        return linear("lm_head").forward(selected, training);
    }

    @Override
    public NDArray tensor(String name) {
        return tensors.get(name);
    }

    @Override
    public Linear linear(String name) {
        return linears.get(name);
    }

    @Override
    public NDArray hooks(int layer, HookPoint point, NDArray output, NDArray residual, boolean training) {
        if (!adaptersEnabled) {
            return output;
        }
        for (BlockHook hook : hooks.get(layer).get(point)) {
            output = hook.apply(output, residual, training);
        }
        return output;
    }

    @Override
    public Scalars scalars() {
        return scalars;
    }

    /**
     * Loaded tensors in checkpoint order; a linear module's weight and bias are read from the base of the
     * layer now in its slot, so a merged replacement is what gets saved.
     */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
            String name = entry.getKey();
            Linear slot = slotOf(name);
            if (slot == null) {
                parameters.put(name, entry.getValue());
            } else if (name.endsWith(".weight")) {
                parameters.put(name, slot.weight());
                String biasName = slot.name() + ".bias";
                if (!tensors.containsKey(biasName)) {
                    slot.bias().ifPresent(bias -> parameters.put(biasName, bias));
                }
            } else {
                slot.bias().ifPresent(bias -> parameters.put(name, bias));
            }
        }
        return Collections.unmodifiableMap(parameters);
    }

    /** The base layer whose weight or bias {@code tensorName} is, or null. */
    private Linear slotOf(String tensorName) {
        int dot = tensorName.lastIndexOf('.');
        if (dot < 0) {
            return null;
        }
        String suffix = tensorName.substring(dot + 1);
        if (!suffix.equals("weight") && !suffix.equals("bias")) {
            return null;
        }
        Linear slot = linears.get(tensorName.substring(0, dot));
        return slot == null ? null : slot.base();
    }

    @Override
    public Map<String, Linear> linears() {
        synchronized (linears) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(linears));
        }
    }

    @Override
    public void replaceLinear(String name, Linear replacement) {
        Linear current = linears.get(name);
        if (current == null) {
            throw new IllegalArgumentException("no linear layer named '" + name + "'");
        }
        if (replacement.inFeatures() != current.inFeatures() || replacement.outFeatures() != current.outFeatures()) {
            throw new IllegalArgumentException(name + ": replacement maps " + replacement.inFeatures() + " -> "
                    + replacement.outFeatures() + ", the layer " + current.inFeatures() + " -> " + current.outFeatures());
        }
        if (replacement.base().transposed() != current.base().transposed()) {
            // parameters() saves the base's weight under the checkpoint's name: its layout must not change.
            throw new IllegalArgumentException(name + ": the replacement's base must keep the stored layout ("
                    + (current.base().transposed() ? "[in, out], transposed" : "[out, in]") + ")");
        }
        linears.put(name, replacement);
    }

    @Override
    public void addHook(int layer, HookPoint point, BlockHook hook) {
        if (layer < 0 || layer >= hooks.size()) {
            throw new IllegalArgumentException("layer " + layer + " out of range [0, " + hooks.size() + ")");
        }
        hooks.get(layer).get(point).add(hook);
    }

    @Override
    public void addInputTransform(UnaryOperator<ForwardInput> transform) {
        inputTransforms.add(java.util.Objects.requireNonNull(transform, "transform is null"));
    }

    @Override
    public boolean adaptersEnabled() {
        return adaptersEnabled;
    }

    @Override
    public AdapterScope disableAdapters() {
        boolean previous = adaptersEnabled;
        adaptersEnabled = false;
        return () -> adaptersEnabled = previous;
    }

    @Override
    public void close() {
        manager.close();
        if (ownsTokenizer && tokenizer instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the tokenizer failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return config.modelType() + " model, " + config.numHiddenLayers() + " layers, hidden " + config.hiddenSize();
    }
}
