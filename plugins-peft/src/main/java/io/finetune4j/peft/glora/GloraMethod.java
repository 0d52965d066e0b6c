package io.finetune4j.peft.glora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.lora.TargetModules;
import io.finetune4j.peft.tuner.TunerLayers;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GLoRA applied to one model: every targeted linear layer becomes a {@link GloraLinear} with the configured
 * supports, all starting at zero (the model starts unchanged); the base is frozen. There is no PEFT format for
 * GLoRA: the adapter is {@code glora_config.json} and {@code glora_adapter.safetensors} with tensors
 * {@code base_model.model.<module>.glora_<X>} (vector, scalar) or {@code ...glora_<X>d}, {@code ...glora_<X>u}
 * (LoRA: ViT-Slim's {@code Xd [rows, k]}, {@code Xu [k, cols]}).
 */
public final class GloraMethod implements Method {
    static final String PREFIX = "base_model.model.";
    static final String CONFIG_FILE = "glora_config.json";
    static final String WEIGHTS_FILE = "glora_adapter.safetensors";
    private static final Logger LOG = LoggerFactory.getLogger(GloraMethod.class);

    private final GloraConfig config;
    private final CausalLM model;
    private final TunerLayers<GloraLinear> layers;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<String> savedTargets;
    private final Optional<String> unmergeable;

    GloraMethod(GloraConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        Set<String> matched = new LinkedHashSet<>();
        List<String> targets = TargetModules.select(new ArrayList<>(model.linears().keySet()),
                new TargetModules.Fields(config.targetModules(), List.of(), List.of(), List.of(), List.of()), matched);
        this.savedTargets = List.copyOf(new TreeSet<>(matched));
        this.layers = TunerLayers.inject(model, targets, "the GLoRA supports");
        NDManager manager = layers.manager();
        SplittableRandom random = new SplittableRandom(seed);
        String blocker = null;
        for (String name : targets) {
            Linear base = model.linears().get(name);
            long in = base.inFeatures();
            long out = base.outFeatures();
            String prefix = PREFIX + name + ".glora_";
            GloraSupport a = support("a", out, in, new Shape(out, 1), prefix + "A", manager, random);
            GloraSupport b = support("b", out, in, new Shape(out, 1), prefix + "B", manager, random);
            GloraSupport c = support("c", in, 1, new Shape(in, 1), prefix + "C", manager, random);
            GloraSupport d = support("d", out, 1, new Shape(out), prefix + "D", manager, random);
            GloraSupport e = support("e", out, 1, new Shape(out), prefix + "E", manager, random);
            GloraLinear layer = layers.wrap(new GloraLinear(base, a, b, c, d, e, model::adaptersEnabled));
            for (GloraSupport support : List.of(a, b, c, d, e)) {
                trainable.putAll(support.parameters());
            }
            if (blocker == null && base.bias().isEmpty() && layer.shiftsBias()) {
                blocker = name;
            }
        }
        this.unmergeable = Optional.ofNullable(blocker).map(name -> String.format(
                "glora cannot merge: module %s has no bias to hold W0·C and E; set c: none and e: none to merge a "
                        + "model without biases (its adapter still saves and loads)", name));
        unmergeable.ifPresent(LOG::warn);
    }

    private GloraSupport support(String slot, long rows, long cols, Shape vectorShape, String name, NDManager manager,
                                 SplittableRandom random) {
        return new GloraSupport(config.support(slot), rows, cols, vectorShape, name, manager, random);
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, GloraLinear> layers() {
        return layers.layers();
    }

    public GloraConfig config() {
        return config;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        layers.requireLoaded("save an adapter");
        Map<String, Object> json = new TreeMap<>();
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("method", "glora");
        json.put("r", config.r());
        for (String slot : GloraConfig.SLOTS) {
            GloraConfig.Support support = config.support(slot);
            json.put(slot, support.type().equals("lora") ? "lora_" + support.rank() : support.type());
        }
        json.put("target_modules", config.targetModules() instanceof String regex ? regex : savedTargets);
        PeftAdapterDirectory.write(dir.resolve(CONFIG_FILE), json, dir.resolve(WEIGHTS_FILE), trainable);
    }

    @Override
    public void loadAdapter(Path dir) {
        layers.requireLoaded("load an adapter");
        Path file = dir.resolve(CONFIG_FILE);
        JsonNode json = PeftAdapterDirectory.readJson(file);
        for (String slot : GloraConfig.SLOTS) {
            GloraConfig.Support support = config.support(slot);
            String expected = support.type().equals("lora") ? "lora_" + support.rank() : support.type();
            String saved = json.path(slot).asText("");
            if (!saved.equals(expected)) {
                throw PeftAdapterDirectory.mismatch(file, slot, "'" + saved + "'", "'" + expected + "'");
            }
        }
        PeftAdapterDirectory.readTensorsFrom(dir.resolve(WEIGHTS_FILE), trainable, List::of,
                "have no adapted module in this model (target_modules " + config.targetModules() + ")",
                PeftAdapterDirectory.TensorFit.sameShape(""));
    }

    /** False when some adapted layer has no bias but its update shifts one (C or E set). */
    @Override
    public boolean canMerge() {
        return unmergeable.isEmpty() && !layers.unloaded();
    }

    /**
     * Folds every support into the base: {@code W ← W0 + W0 ⊙ A + B} (in the stored layout: transposed for a GPT-2
     * Conv1D), {@code b ← b0 + b0 ⊙ D + E + W0 · C}, both computed from the original {@code W0}; then every wrapper
     * goes and the supports are freed.
     */
    @Override
    public void mergeAndUnload() {
        layers.requireLoaded("merge");
        unmergeable.ifPresent(message -> {
            throw new IllegalStateException(message);
        });
        layers.mergeEach(layer -> {
            try (NDManager scratch = model.manager().newSubManager()) {
                NDArray deltaWeight = layer.deltaWeight(scratch);                 // [out, in]
                NDArray deltaBias = layer.deltaBias(scratch);                     // [out] or [1]
                if (deltaBias != null) {
                    layer.bias().orElseThrow().addi(deltaBias);
                }
                if (deltaWeight != null) {
                    layer.weight().addi(layer.transposed() ? deltaWeight.transpose() : deltaWeight);
                }
            }
        });
        trainable.clear();
        layers.close();
    }
}
