package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.NamedAdapters;
import io.finetune4j.api.method.ParameterGroup;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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

    private final CausalLM model;
    private final LoraInjector injector;
    private final LoraAdapters adapters;
    private final long seed;

    LoraMethod(LoraConfig config, CausalLM model, long seed) {
        this(config, model, seed, LoraLinear.DEFAULT_ADAPTER);
    }

    /** PEFT's {@code get_peft_model(model, config, adapter_name)}: one adapter, active and trainable. */
    LoraMethod(LoraConfig config, CausalLM model, long seed, String adapterName) {
        this(config, model, seed, adapterName, Map.of());
    }

    /**
     * LoRA whose modules in {@code loftq} start from those LoftQ results ({@link Loftq#forTargets}) and leave their
     * base alone: {@code qlora} quantised the base from them already, so it holds exactly LoftQ's {@code Q}.
     */
    public static LoraMethod withLoftq(LoraConfig config, MethodContext context, Map<String, Loftq.Result> loftq) {
        return new LoraMethod(config, context.model(), context.seed(), context.adapterName(), loftq);
    }

    private LoraMethod(LoraConfig config, CausalLM model, long seed, String adapterName,
                       Map<String, Loftq.Result> loftq) {
        this.model = model;
        this.seed = seed;
        this.adapters = new LoraAdapters(adapterName);
        List<String> toSave = ModulesToSave.resolve(model, config.modulesToSave());
        List<String> targets = new ArrayList<>();
        Object savedTargets = LoraInjector.selectTargets(model, config, targets);
        this.injector = new LoraInjector(model, targets, toSave);
        LoraAdapters.State state = new LoraAdapters.State(config, injector.wrappers().manager().newSubManager(),
                savedTargets);
        adapters.add(adapterName, state);
        SplittableRandom random = new SplittableRandom(seed);
        for (String name : targets) {
            Loftq.Result given = loftq.get(name);
            injector.addLayer(adapterName, state, model.linears().get(name), random, true, adapters.active(),
                    given == null ? null : new LoraInit.Factors(given.a(), given.b(), null));
        }
        injector.trainBiases(state);
        for (String name : toSave) {
            injector.addSavedModule(state, model.linears().get(name));
        }
        setAdapters(List.of(adapterName));
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
        LoraAdapters.State state = addAdapter(adapterName, config, PeftAdapterDirectory.configFile(dir).toString());
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

    private LoraAdapters.State addAdapter(String adapterName, LoraConfig config, String where) {
        adapters.requireNew(adapterName, where);
        if (!config.bias().equals("none") || !config.modulesToSave().isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: bias '%s' and modules_to_save %s change the "
                    + "shared base model; with several adapters only the first may set them (PEFT: supports only "
                    + "1 adapter with bias)", where, config.bias(), config.modulesToSave()));
        }
        List<String> targets = new ArrayList<>();
        Object savedTargets = LoraInjector.selectTargets(model, config, targets);
        injector.requireOwnOrUnwrapped(targets, where);
        LoraAdapters.State state = new LoraAdapters.State(config, injector.wrappers().manager().newSubManager(),
                savedTargets);
        adapters.add(adapterName, state);
        try {
            SplittableRandom random = new SplittableRandom(adapters.size());
            for (String name : targets) {
                injector.addLayer(adapterName, state, model.linears().get(name), random, false, adapters.active());
            }
        } catch (RuntimeException e) {
            deleteAdapter(adapterName);
            throw e;
        }
        state.setTrainable(false);
        return state;
    }

    /** This method's adapters through the SPI ({@link NamedAdapters}), for runners that cannot see this class. */
    @Override
    public Optional<NamedAdapters> namedAdapters() {
        return Optional.of(new LoraNamedAdapters(this));
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
        List<String> active = adapters.setActive(adapterNames);
        injector.setActive(active, active.contains(adapters.firstName()));
    }

    /** The active adapters, in order (PEFT's {@code active_adapters}). */
    public List<String> activeAdapters() {
        return adapters.active();
    }

    /** The current adapter (the first active one), or null when none is active. */
    public String activeAdapter() {
        return adapters.active().isEmpty() ? null : adapters.active().get(0);
    }

    /** Every adapter's name, in the order added. */
    public Set<String> adapterNames() {
        return adapters.names();
    }

    /** The settings adapter {@code adapterName} was loaded or made with. */
    public LoraConfig config(String adapterName) {
        return adapters.require(adapterName).config;
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
        LoraAdapters.State state = adapters.require(adapterName);
        if (adapterName.equals(adapters.firstName()) && !injector.savedModules().isEmpty()) {
            throw new IllegalArgumentException("adapter '" + adapterName + "' owns modules_to_save "
                    + injector.savedModules().keySet() + "; it cannot be deleted");
        }
        adapters.remove(adapterName);
        injector.removeAdapter(adapterName, state);
        state.manager.close();
        setAdapters(adapters.activeAfterDeleting(adapterName));
    }

    /**
     * PEFT's {@code add_weighted_adapter(adapters, weights, adapter_name, combination_type)}: a new adapter
     * {@code adapterName} from the given ones, inactive; see {@link LoraCombination} for the types. As in PEFT, a
     * name that already exists leaves everything unchanged.
     *
     * @param combinationType {@code linear} (equal ranks), {@code cat} or {@code svd}; the pruning types
     *     ({@code ties}, {@code dare_linear}, {@code dare_ties}, {@code magnitude_prune} and their {@code _svd}
     *     forms) need a density: use {@link #addWeightedAdapter(List, List, String, String, Integer, Double, String)}.
     *     With one adapter always {@code linear}
     */
    public void addWeightedAdapter(List<String> adapterNames, List<Double> weights, String adapterName,
                                   String combinationType) {
        addWeightedAdapter(adapterNames, weights, adapterName, combinationType, null);
    }

    /** As {@link #addWeightedAdapter(List, List, String, String)}; {@code svdRank} null means the largest rank. */
    public void addWeightedAdapter(List<String> adapterNames, List<Double> weights, String adapterName,
                                   String combinationType, Integer svdRank) {
        addWeightedAdapter(adapterNames, weights, adapterName, combinationType, svdRank, null, "total");
    }

    /**
     * PEFT's {@code add_weighted_adapter} with {@code svd_rank}, {@code density} and {@code majority_sign_method}
     * ({@code total} or {@code frequency}). DARE's random drop is seeded with the method's seed.
     */
    public void addWeightedAdapter(List<String> adapterNames, List<Double> weights, String adapterName,
                                   String combinationType, Integer svdRank, Double density, String majoritySignMethod) {
        requireLoaded("combine adapters");
        if (adapters.contains(adapterName)) {
            return;
        }
        if (adapterNames.isEmpty() || adapterNames.size() != weights.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "need one weight per adapter, got adapters %s and weights %s", adapterNames, weights));
        }
        List<LoraConfig> configs = new ArrayList<>();
        for (String name : adapterNames) {
            configs.add(adapters.require(name).config);
        }
        LoraCombination.Plan plan = LoraCombination.plan(adapterNames, configs, combinationType,
                new LoraCombination.Options(svdRank, density, majoritySignMethod, seed),
                adapterNames.stream().map(name -> adapters.get(name).savedTargets).toList());
        LoraAdapters.State state = new LoraAdapters.State(plan.config(), injector.wrappers().manager().newSubManager(),
                plan.savedTargets());
        adapters.add(adapterName, state);
        injector.addCombination(plan, adapterName, state, adapterNames, weights, adapters.active());
        // PEFT's _freeze_adapter: the combination does not train until made active.
        state.setTrainable(false);
    }

    /**
     * PEFT's {@code save_pretrained(dir, selected_adapters)}: each adapter in PEFT's layout, the one named
     * {@value LoraLinear#DEFAULT_ADAPTER} in {@code dir} itself and every other in {@code dir/<name>}.
     */
    public void saveAdapters(Path dir, List<String> adapterNames, String baseModelNameOrPath) {
        requireLoaded("save an adapter");
        adapterNames.forEach(adapters::require);
        for (String name : adapterNames) {
            write(PeftAdapterDirectory.adapterDir(dir, name), adapters.get(name), baseModelNameOrPath);
        }
    }

    private void write(Path dir, LoraAdapters.State state, String baseModelNameOrPath) {
        LoraAdapterFiles.write(dir, state.config, state.trainable, state.savedTargets,
                injector.wrappers().fanInFanOut(state.modules), baseModelNameOrPath);
    }

    // ---- Method ----

    /** The current adapter's parameters (PEFT trains the active adapter); none while no adapter is active. */
    @Override
    public Map<String, NDArray> trainableParameters() {
        if (injector.wrappers().unloaded() || adapters.active().isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(adapters.current().trainable);
    }

    /**
     * LoRA+ (Hayou et al., "LoRA+: Efficient Low Rank Adaptation of Large Models", 2024) as PEFT v0.20's
     * {@code peft/optimizers/loraplus.py} {@code create_loraplus_optimizer} groups the parameters: a name holding
     * {@code lora_B}, or any 1-d parameter (DoRA magnitudes, biases), trains at {@code lr · loraplus_lr_ratio} with
     * {@code loraplus_weight_decay}, or no decay for biases (PEFT's {@code decay_parameters} also drops LayerNorm
     * parameters; LoRA trains none); every other
     * parameter trains at {@code lr} with {@code loraplus_weight_decay}. PEFT's embedding group
     * ({@code loraplus_lr_embedding}) has no member here: LoRA adapts linear layers only. Without
     * {@code loraplus_lr_ratio} the stage's settings apply.
     */
    @Override
    public ParameterGroup parameterGroup(String name, ParameterGroup stage) {
        LoraConfig config = config();
        NDArray parameter = trainableParameters().get(name);
        if (config.loraplusLrRatio() == null || parameter == null) {
            return stage;
        }
        double decay = config.loraplusWeightDecay();
        if (name.contains("lora_B") || parameter.getShape().dimension() == 1) {
            return new ParameterGroup(stage.learningRate() * config.loraplusLrRatio(),
                    name.contains("bias") ? 0.0 : decay);
        }
        return new ParameterGroup(stage.learningRate(), decay);
    }

    /** The layers that hold the current adapter, by module name, in model order. */
    public Map<String, LoraLinear> layers() {
        if (injector.wrappers().unloaded() || adapters.isEmpty()) {
            return Map.of();
        }
        Set<String> modules = adapters.current().modules;
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        injector.wrappers().layers().forEach((name, layer) -> {
            if (modules.contains(name)) {
                layers.put(name, layer);
            }
        });
        return Collections.unmodifiableMap(layers);
    }

    /** Every layer this method wraps, whichever adapters it holds, by module name. */
    public Map<String, LoraLinear> allLayers() {
        return injector.wrappers().layers();
    }

    /** The modules trained whole ({@code modules_to_save}) by module name. */
    Map<String, ModulesToSaveLinear> savedModules() {
        return injector.savedModules();
    }

    /** The current adapter's settings. */
    public LoraConfig config() {
        return adapters.current().config;
    }

    /** The {@code target_modules} written to adapter_config.json: the list entries that matched, sorted, or the regex. */
    Object savedTargetModules() {
        return adapters.current().savedTargets;
    }

    /** True when some layer of the current adapter is a GPT-2 Conv1D (PEFT's {@code fan_in_fan_out}). */
    boolean fanInFanOut() {
        return injector.wrappers().fanInFanOut(adapters.current().modules);
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
            write(dir, adapters.current(), baseModelNameOrPath);
            return;
        }
        saveAdapters(dir, new ArrayList<>(adapters.names()), baseModelNameOrPath);
    }

    /** Replaces the current adapter's values with those saved in {@code dir}. */
    @Override
    public void loadAdapter(Path dir) {
        requireLoaded("load an adapter");
        LoraAdapters.State state = adapters.current();
        Set<String> saved = adapters.isFirst(state) ? injector.savedModules().keySet() : Set.of();
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
        injector.mergeAndUnload();
        adapters.states().forEach(state -> state.setTrainable(false));
        adapters.clear();
        injector.wrappers().close();
    }

    private void requireLoaded(String action) {
        injector.wrappers().requireLoaded(action);
    }

    @Override
    public String toString() {
        if (injector.wrappers().unloaded() || adapters.isEmpty()) {
            return injector.wrappers().unloaded() ? "LoraMethod[unloaded]" : "LoraMethod[no adapter]";
        }
        return String.format(Locale.ROOT, "LoraMethod[%d layers%s, %d trainable%s]", layers().size(),
                config().useDora() ? ", DoRA" : "", trainableParameterCount(),
                adapters.size() > 1 ? ", adapters " + adapters.names() + ", active " + adapters.active() : "");
    }
}
