package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * LoRA applied to one model, as Hugging Face PEFT's {@code LoraModel}: every targeted linear layer is
 * replaced by a {@link LoraLinear} (with a magnitude vector for DoRA), the base weights are frozen, and only
 * the adapters' {@code A}, {@code B} (and magnitudes), the biases {@code bias} selects and the copies of
 * {@code modules_to_save} train. Initialisation follows {@code init_lora_weights} (see {@link LoraInit});
 * the default draws {@code A} from {@code kaiming_uniform_(a=sqrt(5))} and sets {@code B = 0}, so the
 * adapted model starts equal to the base. PiSSA instead moves the top singular directions of each base
 * weight into the adapter, so the base weights then hold the residual (as in PEFT, also while adapters are
 * disabled).
 */
public final class LoraMethod implements Method {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "LORA";
    /** PEFT's prefix of adapter parameter names ({@code PeftModel.base_model.model}). */
    static final String PREFIX = "base_model.model.";

    private final LoraConfig config;
    private final CausalLM model;
    private final NDManager manager;
    private final Map<String, LoraLinear> layers = new LinkedHashMap<>();
    private final Map<String, ModulesToSaveLinear> savedModules = new LinkedHashMap<>();
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final Object savedTargets;
    private boolean unloaded;

    LoraMethod(LoraConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        List<String> linearNames = new ArrayList<>(model.linears().keySet());
        List<String> toSave = ModulesToSave.resolve(model, config.modulesToSave());
        Set<String> matched = new LinkedHashSet<>();
        List<String> targets = TargetModules.select(linearNames, config, matched);
        this.savedTargets = config.targetModules() instanceof String regex && !regex.equalsIgnoreCase(TargetModules.ALL_LINEAR)
                ? regex : TargetModules.sorted(matched);
        for (String name : concat(targets, toSave)) {
            Linear existing = model.linears().get(name);
            if (existing.base() != existing) {
                throw new ConfigException(String.format(
                        "target_modules: module '%s' is already wrapped by %s", name, existing));
            }
        }
        // Freeze every base weight: only adapter parameters train (PEFT's mark_only_lora_as_trainable).
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
        this.manager = model.manager().newSubManager();
        SplittableRandom random = new SplittableRandom(seed);
        for (String name : targets) {
            addLayer(model.linears().get(name), random);
        }
        trainBiases();
        for (String name : toSave) {
            addSavedModule(model.linears().get(name));
        }
    }

    private void addLayer(Linear base, SplittableRandom random) {
        String name = base.name();
        int rank = config.rankFor(name);
        double scaling = config.scaling(rank, config.alphaFor(name));
        LoraInit.Factors factors = LoraInit.create(config.initMode(), base, rank, scaling, random);
        if (factors.residual() != null) {
            base.weight().set(factors.residual());
        }
        NDArray a = manager.create(factors.a(), new Shape(rank, base.inFeatures()));     // [r, in]
        NDArray b = manager.create(factors.b(), new Shape(base.outFeatures(), rank));    // [out, r]
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        trainable.put(PREFIX + name + ".lora_A.weight", a);
        trainable.put(PREFIX + name + ".lora_B.weight", b);
        NDArray magnitude = null;
        if (config.useDora()) {
            // PEFT's DoraLinearLayer.update_layer: m = ‖W + s·B·A‖ per output feature at init.
            magnitude = manager.create(LoraWeights.rowNorms(base, factors.a(), factors.b(), rank, scaling));
            magnitude.setRequiresGradient(true);
            trainable.put(PREFIX + name + ".lora_magnitude_vector", magnitude);
        }
        NDArray scalingArray = manager.full(new Shape(), (float) scaling);
        LoraLinear layer = new LoraLinear(base, a, b, scalingArray, magnitude, (float) config.loraDropout(), model);
        model.replaceLinear(name, layer);
        layers.put(name, layer);
    }

    /**
     * PEFT's {@code bias}: {@code all} trains every parameter named like a bias, {@code lora_only} the biases
     * of adapted layers, in place in the base model. Saved as PEFT's state dict names them: an adapted layer's
     * bias lives under {@code <module>.base_layer.bias}.
     */
    private void trainBiases() {
        if (config.bias().equals("none")) {
            return;
        }
        for (Map.Entry<String, NDArray> parameter : model.parameters().entrySet()) {
            String name = parameter.getKey();
            if (!name.endsWith(".bias")) {
                continue;
            }
            String module = name.substring(0, name.length() - ".bias".length());
            boolean adapted = layers.containsKey(module);
            boolean savedWhole = ModulesToSave.isSaved(module, config.modulesToSave());
            if (savedWhole || !(adapted || config.bias().equals("all"))) {
                continue;
            }
            parameter.getValue().setRequiresGradient(true);
            trainable.put(PREFIX + module + (adapted ? ".base_layer.bias" : ".bias"), parameter.getValue());
        }
    }

    private void addSavedModule(Linear base) {
        NDArray weight = manager.create(base.weight().toFloatArray(), base.weight().getShape());
        weight.setRequiresGradient(true);
        NDArray bias = null;
        trainable.put(PREFIX + base.name() + ".weight", weight);
        if (base.bias().isPresent()) {
            bias = manager.create(base.bias().get().toFloatArray(), base.bias().get().getShape());
            bias.setRequiresGradient(true);
            trainable.put(PREFIX + base.name() + ".bias", bias);
        }
        ModulesToSaveLinear wrapper = new ModulesToSaveLinear(base, weight, bias, model);
        model.replaceLinear(base.name(), wrapper);
        savedModules.put(base.name(), wrapper);
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, LoraLinear> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /** The modules trained whole ({@code modules_to_save}) by module name. */
    Map<String, ModulesToSaveLinear> savedModules() {
        return Collections.unmodifiableMap(savedModules);
    }

    public LoraConfig config() {
        return config;
    }

    /** The {@code target_modules} written to adapter_config.json: the list entries that matched, sorted, or the regex. */
    Object savedTargetModules() {
        return savedTargets;
    }

    /** True when some adapted layer is a GPT-2 Conv1D (PEFT's {@code fan_in_fan_out}). */
    boolean fanInFanOut() {
        return layers.values().stream().anyMatch(Linear::transposed);
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        requireLoaded("save an adapter");
        LoraAdapterFiles.write(dir, this, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        requireLoaded("load an adapter");
        LoraAdapterFiles.read(dir, this);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * PEFT's {@code merge_and_unload}: {@code W += s·B·A} for LoRA, {@code W ← diag(m / ‖W + s·B·A‖)(W + s·B·A)}
     * for DoRA (PEFT's {@code DoraLinearVariant.merge_safe}), in the stored layout (transposed for Conv1D), in
     * place in the base weight array; a module to save gets its trained copy. Then every wrapper is replaced
     * by its base layer and the adapter arrays are freed. Trained biases already live in the base.
     */
    @Override
    public void mergeAndUnload() {
        requireLoaded("merge");
        for (LoraLinear layer : layers.values()) {
            layer.weight().set(LoraWeights.merged(layer));
            model.replaceLinear(layer.name(), layer.base());
        }
        for (ModulesToSaveLinear saved : savedModules.values()) {
            saved.weight().set(saved.trainedWeight().toFloatArray());
            saved.trainedBias().ifPresent(bias -> saved.bias().orElseThrow().set(bias.toFloatArray()));
            model.replaceLinear(saved.name(), saved.base());
        }
        trainable.values().forEach(parameter -> parameter.setRequiresGradient(false));
        layers.clear();
        savedModules.clear();
        trainable.clear();
        manager.close();
        unloaded = true;
    }

    private void requireLoaded(String action) {
        if (unloaded) {
            throw new IllegalStateException("cannot " + action + ": the LoRA adapters were merged and unloaded");
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LoraMethod[%d layers%s, %d trainable]", layers.size(),
                config.useDora() ? ", DoRA" : "", trainableParameterCount());
    }
}
