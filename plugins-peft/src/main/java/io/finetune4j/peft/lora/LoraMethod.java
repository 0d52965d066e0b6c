package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.NamedAdapters;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
 *
 * <h2>Several adapters on one base</h2>
 * As PEFT's {@code PeftModel}, one method holds <em>named</em> adapters over a single copy of the base
 * weights: the one it was created with ({@value LoraLinear#DEFAULT_ADAPTER} unless named), more loaded with
 * {@link #loadAdapter(Path, String)} (wrapping further modules when an adapter targets modules the others do
 * not), and combinations made with {@link #addWeightedAdapter}. {@link #setAdapter} picks the active
 * adapter(s); only they apply. {@link #disableAdapter()} gives the exact base model for a scope,
 * {@link #deleteAdapter} frees an adapter. {@link #trainableParameters()}, {@link #config()},
 * {@link #layers()} and {@link #saveAdapter(Path, String)}'s single-adapter case describe the <em>current</em>
 * adapter: the first active one. Only the first adapter may train biases or keep {@code modules_to_save}
 * (PEFT: "supports only 1 adapter with bias").
 */
public final class LoraMethod implements Method {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "LORA";
    /** PEFT's prefix of adapter parameter names ({@code PeftModel.base_model.model}). */
    static final String PREFIX = "base_model.model.";

    /**
     * What one named adapter owns: its settings, its arrays (in its own manager, freed by
     * {@link #deleteAdapter}), its parameters by saved name, and the module names it adapts.
     */
    static final class AdapterState {
        final LoraConfig config;
        final NDManager manager;
        final Map<String, NDArray> trainable = new LinkedHashMap<>();
        final Set<String> modules = new LinkedHashSet<>();
        final Object savedTargets;

        AdapterState(LoraConfig config, NDManager manager, Object savedTargets) {
            this.config = config;
            this.manager = manager;
            this.savedTargets = savedTargets;
        }
    }

    private final CausalLM model;
    private final NDManager manager;
    private final Map<String, AdapterState> adapters = new LinkedHashMap<>();
    private final Map<String, LoraLinear> wrappers = new LinkedHashMap<>();
    private final Map<String, ModulesToSaveLinear> savedModules = new LinkedHashMap<>();
    private final String firstAdapter;
    private List<String> active;
    private boolean unloaded;

    LoraMethod(LoraConfig config, CausalLM model, long seed) {
        this(config, model, seed, LoraLinear.DEFAULT_ADAPTER);
    }

    /** PEFT's {@code get_peft_model(model, config, adapter_name)}: one adapter, active and trainable. */
    LoraMethod(LoraConfig config, CausalLM model, long seed, String adapterName) {
        this.model = model;
        this.firstAdapter = adapterName;
        List<String> toSave = ModulesToSave.resolve(model, config.modulesToSave());
        List<String> targets = new ArrayList<>();
        Object savedTargets = selectTargets(config, targets);
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
        AdapterState state = new AdapterState(config, manager.newSubManager(), savedTargets);
        adapters.put(adapterName, state);
        SplittableRandom random = new SplittableRandom(seed);
        for (String name : targets) {
            addLayer(adapterName, state, model.linears().get(name), random, true);
        }
        trainBiases(state);
        for (String name : toSave) {
            addSavedModule(state, model.linears().get(name));
        }
        this.active = List.of(adapterName);
        wrappers.values().forEach(layer -> layer.setActive(active));
        state.trainable.values().forEach(parameter -> parameter.setRequiresGradient(true));
    }

    /**
     * PEFT's {@code PeftModel.from_pretrained(model, dir, adapter_name)}: a method whose one adapter,
     * {@code adapterName}, is read from {@code dir} ({@code adapter_config.json} with {@code peft_type LORA},
     * {@code adapter_model.safetensors}); the adapter is active.
     *
     * @throws ConfigException naming the file and key when the adapter is invalid or does not fit the model
     */
    public static LoraMethod fromPretrained(CausalLM model, Path dir, String adapterName) {
        LoraConfig config = LoraAdapterFiles.readConfig(dir);
        LoraMethod method = new LoraMethod(config, model, 0, adapterName);
        method.loadAdapter(dir);
        return method;
    }

    /** The modules {@code config} targets (into {@code targets}); returns what adapter_config.json records. */
    private Object selectTargets(LoraConfig config, List<String> targets) {
        List<String> linearNames = new ArrayList<>(model.linears().keySet());
        Set<String> matched = new LinkedHashSet<>();
        targets.addAll(TargetModules.select(linearNames, config, matched));
        return config.targetModules() instanceof String regex && !regex.equalsIgnoreCase(TargetModules.ALL_LINEAR)
                ? regex : TargetModules.sorted(matched);
    }

    /**
     * Adds adapter {@code adapterName} to module {@code target}: wraps the module on first use, else extends
     * this method's wrapper (PEFT's {@code update_layer} on an existing {@code LoraLayer}).
     */
    private void addLayer(String adapterName, AdapterState state, Linear target, SplittableRandom random,
                          boolean mayChangeBase) {
        String name = target.name();
        LoraConfig config = state.config;
        LoraLinear wrapper = wrappers.get(name);
        Linear base = wrapper != null ? wrapper.base() : target;
        int rank = config.rankFor(name);
        double scaling = config.scaling(rank, config.alphaFor(name));
        LoraInit.Factors factors = LoraInit.create(config.initMode(), base, rank, scaling, random);
        if (factors.residual() != null) {
            if (!mayChangeBase) {
                throw new ConfigException(String.format(Locale.ROOT, "init_lora_weights: '%s' of adapter '%s' would "
                        + "rewrite the base weights the other adapters share; PiSSA works for the first adapter only",
                        config.initLoraWeights(), adapterName));
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
        attach(adapterName, state, name, base, a, b, scaling, magnitude);
    }

    /** Puts the arrays of one layer of adapter {@code adapterName} in place (wrapping the module if needed). */
    private void attach(String adapterName, AdapterState state, String name, Linear base, NDArray a, NDArray b,
                        double scaling, NDArray magnitude) {
        state.trainable.put(PREFIX + name + ".lora_A.weight", a);
        state.trainable.put(PREFIX + name + ".lora_B.weight", b);
        if (magnitude != null) {
            state.trainable.put(PREFIX + name + ".lora_magnitude_vector", magnitude);
        }
        NDArray scalingArray = state.manager.full(new Shape(), (float) scaling);
        LoraLinear wrapper = wrappers.get(name);
        if (wrapper == null) {
            wrapper = new LoraLinear(base, model);
            model.replaceLinear(name, wrapper);
            wrappers.put(name, wrapper);
        }
        wrapper.addAdapter(adapterName, a, b, scalingArray, magnitude, (float) state.config.loraDropout());
        wrapper.setActive(active == null ? List.of() : active);
        state.modules.add(name);
    }

    /**
     * PEFT's {@code bias}: {@code all} trains every parameter named like a bias, {@code lora_only} the biases
     * of adapted layers, in place in the base model. Saved as PEFT's state dict names them: an adapted layer's
     * bias lives under {@code <module>.base_layer.bias}.
     */
    private void trainBiases(AdapterState state) {
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
            state.trainable.put(PREFIX + module + (adapted ? ".base_layer.bias" : ".bias"), parameter.getValue());
        }
    }

    private void addSavedModule(AdapterState state, Linear base) {
        NDArray weight = manager.create(base.weight().toFloatArray(), base.weight().getShape());
        NDArray bias = null;
        state.trainable.put(PREFIX + base.name() + ".weight", weight);
        if (base.bias().isPresent()) {
            bias = manager.create(base.bias().get().toFloatArray(), base.bias().get().getShape());
            state.trainable.put(PREFIX + base.name() + ".bias", bias);
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

    // ---- several adapters (PEFT's PeftModel / LoraModel API) ----

    /**
     * PEFT's {@code load_adapter(dir, adapter_name)}: reads another LoRA adapter from {@code dir} into this
     * model under {@code adapterName}, wrapping modules no other adapter targets yet. The base weights are
     * shared, not copied. The new adapter is inactive until {@link #setAdapter} names it.
     *
     * @throws ConfigException when the name is taken, the file is invalid, or the adapter trains biases, keeps
     *     {@code modules_to_save} or uses PiSSA (those change the shared base; only the first adapter may)
     */
    public void loadAdapter(Path dir, String adapterName) {
        requireLoaded("load an adapter");
        LoraConfig config = LoraAdapterFiles.readConfig(dir);
        AdapterState state = addAdapter(adapterName, config, PeftAdapterDirectory.configFile(dir).toString());
        try {
            LoraAdapterFiles.read(dir, state.config, state.trainable, Set.of());
        } catch (RuntimeException e) {
            deleteAdapter(adapterName);
            throw e;
        }
    }

    /**
     * PEFT's {@code add_adapter(adapter_name, config)}: a new, freshly initialised adapter (inactive, frozen)
     * on the modules {@code config} targets.
     */
    public void addAdapter(String adapterName, LoraConfig config) {
        requireLoaded("add an adapter");
        addAdapter(adapterName, config, "adapter '" + adapterName + "'");
    }

    private AdapterState addAdapter(String adapterName, LoraConfig config, String where) {
        if (adapters.containsKey(adapterName)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: an adapter named '%s' is already loaded; "
                    + "loaded: %s", where, adapterName, adapters.keySet()));
        }
        if (!config.bias().equals("none") || !config.modulesToSave().isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: bias '%s' and modules_to_save %s change the "
                    + "shared base model; with several adapters only the first may set them (PEFT: supports only "
                    + "1 adapter with bias)", where, config.bias(), config.modulesToSave()));
        }
        List<String> targets = new ArrayList<>();
        Object savedTargets = selectTargets(config, targets);
        for (String name : targets) {
            Linear existing = model.linears().get(name);
            if (existing.base() != existing && wrappers.get(name) != existing) {
                throw new ConfigException(String.format(
                        "%s: target_modules: module '%s' is already wrapped by %s", where, name, existing));
            }
        }
        AdapterState state = new AdapterState(config, manager.newSubManager(), savedTargets);
        adapters.put(adapterName, state);
        try {
            SplittableRandom random = new SplittableRandom(adapters.size());
            for (String name : targets) {
                addLayer(adapterName, state, model.linears().get(name), random, false);
            }
        } catch (RuntimeException e) {
            deleteAdapter(adapterName);
            throw e;
        }
        state.trainable.values().forEach(array -> array.setRequiresGradient(false));
        return state;
    }

    /** This method's adapters through the SPI ({@link NamedAdapters}), for runners that cannot see this class. */
    @Override
    public Optional<NamedAdapters> namedAdapters() {
        return Optional.of(new NamedAdapters() {
            @Override public List<String> adapterNames() { return List.copyOf(LoraMethod.this.adapterNames()); }

            @Override public List<String> activeAdapters() { return LoraMethod.this.activeAdapters(); }

            @Override public void loadAdapter(Path dir, String name) { LoraMethod.this.loadAdapter(dir, name); }

            @Override public void setActiveAdapters(List<String> names) { setAdapters(names); }

            @Override
            public void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String type) {
                LoraMethod.this.addWeightedAdapter(names, weights, newName, type);
            }

            @Override public void deleteAdapter(String name) { LoraMethod.this.deleteAdapter(name); }
        });
    }

    /** PEFT's {@code set_adapter(name)}: only {@code adapterName} applies (and trains). */
    public void setAdapter(String adapterName) {
        setAdapters(List.of(adapterName));
    }

    /**
     * PEFT's {@code LoraModel.set_adapter(list)}: exactly these adapters apply, their updates summed; the first
     * is the current adapter ({@link #trainableParameters()}). An empty list leaves every layer its base.
     */
    public void setAdapters(List<String> adapterNames) {
        requireLoaded("set the active adapter");
        for (String name : adapterNames) {
            requireAdapter(name);
        }
        active = List.copyOf(new LinkedHashSet<>(adapterNames));
        wrappers.values().forEach(layer -> layer.setActive(active));
        savedModules.values().forEach(module -> module.setEnabled(active.contains(firstAdapter)));
        adapters.forEach((name, state) -> {
            boolean current = !active.isEmpty() && active.get(0).equals(name);
            state.trainable.values().forEach(array -> array.setRequiresGradient(current));
        });
    }

    /** The active adapters, in order (PEFT's {@code active_adapters}). */
    public List<String> activeAdapters() {
        return active;
    }

    /** The current adapter (the first active one), or null when none is active. */
    public String activeAdapter() {
        return active.isEmpty() ? null : active.get(0);
    }

    /** Every adapter's name, in the order added. */
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /** The settings adapter {@code adapterName} was loaded or made with. */
    public LoraConfig config(String adapterName) {
        return requireAdapter(adapterName).config;
    }

    /**
     * PEFT's {@code disable_adapter()} context: every adapter off until the scope closes, so the model is
     * exactly its base (the model's {@link CausalLM#disableAdapters()}).
     */
    public AdapterScope disableAdapter() {
        return model.disableAdapters();
    }

    /**
     * PEFT's {@code delete_adapter}: removes the adapter and frees its arrays; a module no adapter adapts any
     * more gets its base layer back. When the deleted adapter was the only active one the first remaining
     * adapter becomes active (PEFT's {@code BaseTunerLayer.delete_adapter}).
     */
    public void deleteAdapter(String adapterName) {
        requireLoaded("delete an adapter");
        AdapterState state = requireAdapter(adapterName);
        if (adapterName.equals(firstAdapter) && !savedModules.isEmpty()) {
            throw new IllegalArgumentException("adapter '" + adapterName + "' owns modules_to_save "
                    + savedModules.keySet() + "; it cannot be deleted");
        }
        adapters.remove(adapterName);
        for (String module : state.modules) {
            LoraLinear wrapper = wrappers.get(module);
            wrapper.removeAdapter(adapterName);
            if (wrapper.adapterNames().isEmpty()) {
                model.replaceLinear(module, wrapper.base());
                wrappers.remove(module);
            }
        }
        state.manager.close();
        List<String> remaining = new ArrayList<>(active);
        remaining.remove(adapterName);
        if (remaining.isEmpty() && active.contains(adapterName) && !adapters.isEmpty()) {
            remaining.add(adapters.keySet().iterator().next());
        }
        setAdapters(remaining);
    }

    /**
     * PEFT's {@code add_weighted_adapter(adapters, weights, adapter_name, combination_type)}: a new adapter
     * {@code adapterName} from the given ones, inactive; see {@link LoraCombination} for {@code linear},
     * {@code cat} and {@code svd}. As in PEFT, a name that already exists leaves everything unchanged.
     *
     * @param combinationType {@code linear} (equal ranks), {@code cat} or {@code svd}; with one adapter
     *     always {@code linear}
     */
    public void addWeightedAdapter(List<String> adapterNames, List<Double> weights, String adapterName,
                                   String combinationType) {
        addWeightedAdapter(adapterNames, weights, adapterName, combinationType, null);
    }

    /** As {@link #addWeightedAdapter(List, List, String, String)}; {@code svdRank} null means the largest rank. */
    public void addWeightedAdapter(List<String> adapterNames, List<Double> weights, String adapterName,
                                   String combinationType, Integer svdRank) {
        requireLoaded("combine adapters");
        if (adapters.containsKey(adapterName)) {
            return;
        }
        if (adapterNames.isEmpty() || adapterNames.size() != weights.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "need one weight per adapter, got adapters %s and weights %s", adapterNames, weights));
        }
        List<LoraConfig> configs = new ArrayList<>();
        for (String name : adapterNames) {
            configs.add(requireAdapter(name).config);
        }
        LoraCombination.Plan plan = LoraCombination.plan(adapterNames, configs, combinationType, svdRank,
                adapterNames.stream().map(name -> adapters.get(name).savedTargets).toList());
        AdapterState state = new AdapterState(plan.config(), manager.newSubManager(), plan.savedTargets());
        adapters.put(adapterName, state);
        double scaling = plan.config().scaling(plan.rank(), plan.rank());
        for (LoraLinear layer : new ArrayList<>(wrappers.values())) {
            List<String> present = adapterNames.stream().filter(name -> layer.adapter(name) != null).toList();
            if (present.isEmpty()) {
                continue;
            }
            LoraCombination.Factors factors = LoraCombination.combine(plan, layer, adapterNames, weights);
            NDArray a = state.manager.create(factors.a(), new Shape(plan.rank(), layer.inFeatures()));   // [r, in]
            NDArray b = state.manager.create(factors.b(), new Shape(layer.outFeatures(), plan.rank()));  // [out, r]
            attach(adapterName, state, layer.name(), layer.base(), a, b, scaling, null);
        }
        // PEFT's _freeze_adapter: the combination does not train until made active.
        state.trainable.values().forEach(array -> array.setRequiresGradient(false));
    }

    /**
     * PEFT's {@code save_pretrained(dir, selected_adapters)}: each adapter in PEFT's layout, the one named
     * {@value LoraLinear#DEFAULT_ADAPTER} in {@code dir} itself and every other in {@code dir/<name>}.
     */
    public void saveAdapters(Path dir, List<String> adapterNames, String baseModelNameOrPath) {
        requireLoaded("save an adapter");
        for (String name : adapterNames) {
            requireAdapter(name);
        }
        for (String name : adapterNames) {
            Path target = PeftAdapterDirectory.adapterDir(dir, name);
            AdapterState state = adapters.get(name);
            LoraAdapterFiles.write(target, state.config, state.trainable, state.savedTargets,
                    fanInFanOut(state), baseModelNameOrPath);
        }
    }

    private AdapterState requireAdapter(String name) {
        AdapterState state = adapters.get(name);
        if (state == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "'; loaded: " + adapters.keySet());
        }
        return state;
    }

    /** The current adapter's state (the first active, else the first added). */
    private AdapterState current() {
        if (adapters.isEmpty()) {
            throw new IllegalStateException("every adapter was deleted");
        }
        String name = active.isEmpty() ? adapters.keySet().iterator().next() : active.get(0);
        return adapters.get(name);
    }

    // ---- Method ----

    /** The current adapter's parameters (PEFT trains the active adapter); none while no adapter is active. */
    @Override
    public Map<String, NDArray> trainableParameters() {
        if (unloaded || active.isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(current().trainable);
    }

    /** The layers that hold the current adapter, by module name, in model order. */
    public Map<String, LoraLinear> layers() {
        if (unloaded || adapters.isEmpty()) {
            return Map.of();
        }
        Set<String> modules = current().modules;
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        wrappers.forEach((name, layer) -> {
            if (modules.contains(name)) {
                layers.put(name, layer);
            }
        });
        return Collections.unmodifiableMap(layers);
    }

    /** Every layer this method wraps, whichever adapters it holds, by module name. */
    public Map<String, LoraLinear> allLayers() {
        return Collections.unmodifiableMap(wrappers);
    }

    /** The modules trained whole ({@code modules_to_save}) by module name. */
    Map<String, ModulesToSaveLinear> savedModules() {
        return Collections.unmodifiableMap(savedModules);
    }

    /** The current adapter's settings. */
    public LoraConfig config() {
        return current().config;
    }

    /** The {@code target_modules} written to adapter_config.json: the list entries that matched, sorted, or the regex. */
    Object savedTargetModules() {
        return current().savedTargets;
    }

    /** True when some layer of the current adapter is a GPT-2 Conv1D (PEFT's {@code fan_in_fan_out}). */
    boolean fanInFanOut() {
        return fanInFanOut(current());
    }

    private boolean fanInFanOut(AdapterState state) {
        return state.modules.stream().map(wrappers::get).anyMatch(Linear::transposed);
    }

    /**
     * Writes the adapters in PEFT's layout ({@code save_pretrained} with every adapter): the one named
     * {@value LoraLinear#DEFAULT_ADAPTER} in {@code dir}, others in {@code dir/<name>}. With one adapter that
     * is not named {@value LoraLinear#DEFAULT_ADAPTER} it is written to {@code dir} itself, so a stage's
     * {@code adapter/} always holds the trained adapter.
     */
    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        requireLoaded("save an adapter");
        if (adapters.size() == 1) {
            AdapterState state = current();
            LoraAdapterFiles.write(dir, state.config, state.trainable, state.savedTargets, fanInFanOut(state),
                    baseModelNameOrPath);
            return;
        }
        saveAdapters(dir, new ArrayList<>(adapters.keySet()), baseModelNameOrPath);
    }

    /** Replaces the current adapter's values with those saved in {@code dir}. */
    @Override
    public void loadAdapter(Path dir) {
        requireLoaded("load an adapter");
        AdapterState state = current();
        Set<String> saved = state == adapters.get(firstAdapter) ? savedModules.keySet() : Set.of();
        LoraAdapterFiles.read(dir, state.config, state.trainable, saved);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * PEFT's {@code merge_and_unload}: for each active adapter in order, {@code W += s·B·A} for LoRA,
     * {@code W ← diag(m / ‖W + s·B·A‖)(W + s·B·A)} for DoRA (PEFT's {@code DoraLinearVariant.merge_safe}), in
     * the stored layout (transposed for Conv1D), in place in the base weight array; a module to save gets its
     * trained copy. Then every wrapper is replaced by its base layer and the adapter arrays are freed. Trained
     * biases already live in the base.
     */
    @Override
    public void mergeAndUnload() {
        requireLoaded("merge");
        for (LoraLinear layer : wrappers.values()) {
            for (String name : layer.activeAdapters()) {
                layer.weight().set(LoraWeights.merged(layer, layer.adapter(name)));
            }
            model.replaceLinear(layer.name(), layer.base());
        }
        for (ModulesToSaveLinear saved : savedModules.values()) {
            saved.weight().set(saved.trainedWeight().toFloatArray());
            saved.trainedBias().ifPresent(bias -> saved.bias().orElseThrow().set(bias.toFloatArray()));
            model.replaceLinear(saved.name(), saved.base());
        }
        adapters.values().forEach(state -> state.trainable.values().forEach(p -> p.setRequiresGradient(false)));
        wrappers.clear();
        savedModules.clear();
        adapters.clear();
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
        if (unloaded || adapters.isEmpty()) {
            return unloaded ? "LoraMethod[unloaded]" : "LoraMethod[no adapter]";
        }
        return String.format(Locale.ROOT, "LoraMethod[%d layers%s, %d trainable%s]", layers().size(),
                config().useDora() ? ", DoRA" : "", trainableParameterCount(),
                adapters.size() > 1 ? ", adapters " + adapters.keySet() + ", active " + active : "");
    }
}
