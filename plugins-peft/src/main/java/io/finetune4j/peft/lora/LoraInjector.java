package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.TunerLayers;
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
 * Puts LoRA into one model, as PEFT's {@code LoraModel._create_and_replace}: selects the target modules, wraps
 * each in a {@link LoraLinear} (one wrapper per module, extended by every adapter that targets it), trains the
 * biases {@code bias} selects and keeps the {@code modules_to_save} copies; takes adapters out again and merges
 * them. Which adapters exist and which are active is {@link LoraAdapters}' business.
 */
final class LoraInjector {
    private final CausalLM model;
    private final TunerLayers<LoraLinear> wrappers;
    private final Map<String, ModulesToSaveLinear> savedModules = new LinkedHashMap<>();

    /** Checks that {@code targets} and {@code toSave} are unwrapped, freezes the base and opens the manager. */
    LoraInjector(CausalLM model, List<String> targets, List<String> toSave) {
        this.model = model;
        List<String> all = new ArrayList<>(targets);
        all.addAll(toSave);
        // PEFT's mark_only_lora_as_trainable: only adapter parameters train.
        this.wrappers = TunerLayers.inject(model, all, "the LoRA adapters");
    }

    TunerLayers<LoraLinear> wrappers() {
        return wrappers;
    }

    /** The modules {@code config} targets (into {@code targets}); returns what adapter_config.json records. */
    static Object selectTargets(CausalLM model, LoraConfig config, List<String> targets) {
        List<String> linearNames = new ArrayList<>(model.linears().keySet());
        Set<String> matched = new LinkedHashSet<>();
        targets.addAll(TargetModules.select(linearNames, config, matched));
        return config.targetModules() instanceof String regex && !regex.equalsIgnoreCase(TargetModules.ALL_LINEAR)
                ? regex : TargetModules.sorted(matched);
    }

    /** Refuses a target another method wrapped; this method's own LoRA wrappers may take another adapter. */
    void requireOwnOrUnwrapped(List<String> targets, String where) {
        TunerLayers.requireUnwrapped(model, targets, where + ": ", existing -> wrappers.get(existing.name()) == existing);
    }

    /**
     * Adds adapter {@code adapterName} to module {@code target}: wraps the module on first use, else extends
     * this method's wrapper (PEFT's {@code update_layer} on an existing {@code LoraLayer}).
     */
    void addLayer(String adapterName, LoraAdapters.State state, Linear target, SplittableRandom random,
                  boolean mayChangeBase, List<String> active) {
        addLayer(adapterName, state, target, random, mayChangeBase, active, null);
    }

    /**
     * As {@link #addLayer(String, LoraAdapters.State, Linear, SplittableRandom, boolean, List)}, starting from
     * {@code given} factors when not null (LoftQ computed before the base was quantised, under {@code qlora}).
     */
    void addLayer(String adapterName, LoraAdapters.State state, Linear target, SplittableRandom random,
                  boolean mayChangeBase, List<String> active, LoraInit.Factors given) {
        String name = target.name();
        LoraConfig config = state.config;
        LoraLinear wrapper = wrappers.get(name);
        Linear base = wrapper != null ? wrapper.base() : target;
        int rank = config.rankFor(name);
        double scaling = config.scaling(rank, config.alphaFor(name));
        LoraInit.Factors factors = given != null ? given : LoraInit.create(config, base, rank, scaling, random);
        if (factors.a().length != rank * base.inFeatures() || factors.b().length != base.outFeatures() * rank) {
            throw new IllegalArgumentException("factors given for " + name + " do not have rank " + rank);
        }
        if (factors.residual() != null) {
            if (!mayChangeBase) {
                throw new ConfigException(String.format(Locale.ROOT, "init_lora_weights: '%s' of adapter '%s' would "
                        + "rewrite the base weights the other adapters share; PiSSA, OLoRA and LoftQ work for the "
                        + "first adapter only", config.initLoraWeights(), adapterName));
            }
            base.weight().set(factors.residual());
        }
        NDArray a = state.manager.create(factors.a(), new Shape(rank, base.inFeatures()));     // [r, in]
        NDArray b = state.manager.create(factors.b(), new Shape(base.outFeatures(), rank));    // [out, r]
        NDArray magnitude = null;
        if (config.useDora()) {
            // PEFT's DoraLinearLayer.update_layer: m = ‖W + s·B·A‖ per output feature at init.
            magnitude = state.manager.create(LoraWeights.rowNorms(base, factors.a(), factors.b(), rank, scaling));
        }
        attach(adapterName, state, name, base, a, b, scaling, magnitude, active);
    }

    /** Puts the arrays of one layer of adapter {@code adapterName} in place (wrapping the module if needed). */
    void attach(String adapterName, LoraAdapters.State state, String name, Linear base, NDArray a, NDArray b,
                double scaling, NDArray magnitude, List<String> active) {
        state.trainable.put(LoraMethod.PREFIX + name + ".lora_A.weight", a);
        state.trainable.put(LoraMethod.PREFIX + name + ".lora_B.weight", b);
        if (magnitude != null) {
            state.trainable.put(LoraMethod.PREFIX + name + ".lora_magnitude_vector", magnitude);
        }
        NDArray scalingArray = state.manager.full(new Shape(), (float) scaling);
        LoraLinear wrapper = wrappers.get(name);
        if (wrapper == null) {
            wrapper = wrappers.wrap(new LoraLinear(base, model));
        }
        wrapper.addAdapter(adapterName, a, b, scalingArray, magnitude, (float) state.config.loraDropout());
        wrapper.setActive(active);
        state.modules.add(name);
    }

    /**
     * The layers of {@code plan}'s combination of {@code names} (PEFT's {@code add_weighted_adapter}), as adapter
     * {@code adapterName}, on every wrapper that holds one of them.
     */
    void addCombination(LoraCombination.Plan plan, String adapterName, LoraAdapters.State state, List<String> names,
                        List<Double> weights, List<String> active) {
        double scaling = plan.config().scaling(plan.rank(), plan.rank());
        for (LoraLinear layer : new ArrayList<>(wrappers.layers().values())) {
            if (names.stream().noneMatch(name -> layer.adapter(name) != null)) {
                continue;
            }
            LoraCombination.Factors factors = LoraCombination.combine(plan, layer, names, weights);
            NDArray a = state.manager.create(factors.a(), new Shape(plan.rank(), layer.inFeatures()));   // [r, in]
            NDArray b = state.manager.create(factors.b(), new Shape(layer.outFeatures(), plan.rank()));  // [out, r]
            attach(adapterName, state, layer.name(), layer.base(), a, b, scaling, null, active);
        }
    }

    /**
     * PEFT's {@code bias}: {@code all} trains every parameter named like a bias, {@code lora_only} the biases
     * of adapted layers, in place in the base model. Saved as PEFT's state dict names them: an adapted layer's
     * bias lives under {@code <module>.base_layer.bias}.
     */
    void trainBiases(LoraAdapters.State state) {
        LoraConfig config = state.config;
        if (config.bias().equals("none")) {
            return;
        }
        for (Map.Entry<String, NDArray> parameter : model.parameters().entrySet()) {
            String name = parameter.getKey();
            if (!name.endsWith(".bias")) {
                continue;
            }
            String module = name.substring(0, name.length() - ".bias".length());
            boolean adapted = state.modules.contains(module);
            boolean savedWhole = ModulesToSave.isSaved(module, config.modulesToSave());
            if (savedWhole || !(adapted || config.bias().equals("all"))) {
                continue;
            }
            state.trainable.put(LoraMethod.PREFIX + module + (adapted ? ".base_layer.bias" : ".bias"),
                    parameter.getValue());
        }
    }

    /** PEFT's {@code ModulesToSaveWrapper}: a trainable copy of {@code base} in its place. */
    void addSavedModule(LoraAdapters.State state, Linear base) {
        NDArray weight = wrappers.manager().create(base.weight().toFloatArray(), base.weight().getShape());
        NDArray bias = null;
        state.trainable.put(LoraMethod.PREFIX + base.name() + ".weight", weight);
        if (base.bias().isPresent()) {
            bias = wrappers.manager().create(base.bias().get().toFloatArray(), base.bias().get().getShape());
            state.trainable.put(LoraMethod.PREFIX + base.name() + ".bias", bias);
        }
        ModulesToSaveLinear wrapper = new ModulesToSaveLinear(base, weight, bias, model);
        model.replaceLinear(base.name(), wrapper);
        savedModules.put(base.name(), wrapper);
    }

    /** Takes adapter {@code name} out of its layers; a module no adapter adapts any more gets its base back. */
    void removeAdapter(String name, LoraAdapters.State state) {
        for (String module : state.modules) {
            LoraLinear wrapper = wrappers.get(module);
            wrapper.removeAdapter(name);
            if (wrapper.adapterNames().isEmpty()) {
                wrappers.unwrap(module);
            }
        }
    }

    /** Exactly {@code active} apply in every layer; the modules to save apply while {@code savedEnabled}. */
    void setActive(List<String> active, boolean savedEnabled) {
        wrappers.layers().values().forEach(layer -> layer.setActive(active));
        savedModules.values().forEach(module -> module.setEnabled(savedEnabled));
    }

    /** The modules trained whole ({@code modules_to_save}) by module name. */
    Map<String, ModulesToSaveLinear> savedModules() {
        return Collections.unmodifiableMap(savedModules);
    }

    /**
     * PEFT's {@code merge_and_unload}: each wrapper's active adapters folded into its base weight in order
     * ({@link LoraWeights#merged}), each module to save gets its trained copy, and every base goes back.
     */
    void mergeAndUnload() {
        wrappers.mergeEach(layer -> {
            for (String name : layer.activeAdapters()) {
                layer.weight().set(LoraWeights.merged(layer, layer.adapter(name)));
            }
        });
        for (ModulesToSaveLinear saved : savedModules.values()) {
            saved.weight().set(saved.trainedWeight().toFloatArray());
            saved.trainedBias().ifPresent(bias -> saved.bias().orElseThrow().set(bias.toFloatArray()));
            model.replaceLinear(saved.name(), saved.base());
        }
        savedModules.clear();
    }
}
