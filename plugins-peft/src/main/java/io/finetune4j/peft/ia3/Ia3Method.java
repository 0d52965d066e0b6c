package io.finetune4j.peft.ia3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.TunerLayers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * (IA)³ applied to one model, as Hugging Face PEFT's {@code IA3Model}: every targeted linear layer is
 * replaced by an {@link Ia3Linear} whose vector starts at ones ({@code init_ia3_weights=True}), so the
 * adapted model starts equal to the base; the base weights are frozen. Parameter count:
 * {@code Σ in} over feed-forward targets plus {@code Σ out} over the others.
 */
public final class Ia3Method implements Method {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "IA3";
    /** PEFT's prefix of adapter parameter names; a vector is saved as {@code <prefix><module>.ia3_l}. */
    static final String PREFIX = "base_model.model.";
    static final String SUFFIX = ".ia3_l";

    private final Ia3Config config;
    private final CausalLM model;
    private final TunerLayers<Ia3Linear> layers;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<String> savedTargets;
    private final List<String> savedFeedforward;

    Ia3Method(Ia3Config config, CausalLM model) {
        this.config = config;
        this.model = model;
        Set<String> matched = new LinkedHashSet<>();
        List<String> targets = Ia3Modules.resolve(new ArrayList<>(model.linears().keySet()), config.targetModules(), matched);
        this.savedTargets = List.copyOf(new TreeSet<>(matched));
        this.savedFeedforward = List.copyOf(new TreeSet<>(config.feedforwardModules().stream()
                .filter(matched::contains).toList()));
        this.layers = TunerLayers.inject(model, targets, "the IA3 vectors");
        NDManager manager = layers.manager();
        for (String name : targets) {
            Linear base = model.linears().get(name);
            boolean feedforward = Ia3Modules.matchesAny(name, config.feedforwardModules());
            Shape shape = feedforward ? new Shape(1, base.inFeatures()) : new Shape(base.outFeatures(), 1);
            NDArray vector = manager.ones(shape);
            vector.setRequiresGradient(true);
            layers.wrap(new Ia3Linear(base, vector, feedforward, model));
            trainable.put(PREFIX + name + SUFFIX, vector);
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, Ia3Linear> layers() {
        return layers.layers();
    }

    public Ia3Config config() {
        return config;
    }

    /** {@code target_modules} for adapter_config.json: the entries that matched, sorted. */
    List<String> savedTargetModules() {
        return savedTargets;
    }

    /** {@code feedforward_modules} for adapter_config.json: the entries among the matched targets, sorted. */
    List<String> savedFeedforwardModules() {
        return savedFeedforward;
    }

    boolean fanInFanOut() {
        return layers.fanInFanOut();
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        layers.requireLoaded("save an adapter");
        Ia3AdapterFiles.write(dir, this, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        layers.requireLoaded("load an adapter");
        Ia3AdapterFiles.read(dir, this);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * PEFT's {@code IA3Layer.merge}: {@code W ⊙ l} in the stored layout (rows of {@code [out, in]} for an
     * output vector, columns for an input vector; transposed for Conv1D, PEFT's
     * {@code transpose(ia3_l, fan_in_fan_out)}), and the bias scaled by an output vector; then every wrapper
     * is replaced by its base layer and the vectors are freed.
     */
    @Override
    public void mergeAndUnload() {
        layers.requireLoaded("merge");
        layers.mergeEach(layer -> {
            try (NDManager scratch = model.manager().newSubManager()) {
                NDArray l = scratch.create(layer.vector().toFloatArray(), layer.vector().getShape()); // [out,1] | [1,in]
                layer.weight().muli(layer.transposed() ? l.transpose() : l);
                if (!layer.feedforward() && layer.bias().isPresent()) {
                    layer.bias().get().muli(l.reshape(-1)); // [out]
                }
            }
        });
        trainable.clear();
        layers.close();
    }
}
