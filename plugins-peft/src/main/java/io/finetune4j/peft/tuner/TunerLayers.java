package io.finetune4j.peft.tuner;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The lifecycle every tuner shares, as PEFT's {@code BaseTuner}: inject (check that no target is wrapped yet,
 * freeze the base, open the manager the adapter arrays live in, put each wrapper in its module's place),
 * merge and unload (fold each wrapper into its base weight, put the base back, free the arrays), and the guard
 * that refuses work once unloaded. Used by composition: a method holds one.
 *
 * @param <L> the wrapper layer type
 */
public final class TunerLayers<L extends Linear> {
    private final CausalLM model;
    private final String unloadedName;
    private final NDManager manager;
    private final Map<String, L> layers = new LinkedHashMap<>();
    private boolean unloaded;

    private TunerLayers(CausalLM model, String unloadedName) {
        this.model = model;
        this.unloadedName = unloadedName;
        this.manager = model.manager().newSubManager();
    }

    /**
     * Checks that no module of {@code targets} is wrapped yet, freezes every base parameter (PEFT's
     * {@code _mark_only_adapters_as_trainable}) and opens the adapters' manager.
     *
     * @param unloadedName what the method calls its arrays in "cannot save: the IA3 vectors were merged and
     *     unloaded"
     */
    public static <L extends Linear> TunerLayers<L> inject(CausalLM model, Collection<String> targets,
                                                         String unloadedName) {
        requireUnwrapped(model, targets, "", linear -> false);
        freezeBase(model);
        return new TunerLayers<>(model, unloadedName);
    }

    /**
     * Refuses a target some other method already wrapped ({@code <where>target_modules: module 'm' is already
     * wrapped by ...}); {@code own} accepts the caller's own wrappers.
     */
    public static void requireUnwrapped(CausalLM model, Collection<String> targets, String where,
                                        Predicate<Linear> own) {
        for (String name : targets) {
            Linear existing = model.linears().get(name);
            if (existing.base() != existing && !own.test(existing)) {
                throw new ConfigException(String.format(
                        "%starget_modules: module '%s' is already wrapped by %s", where, name, existing));
            }
        }
    }

    /** Freezes every base parameter: only adapter parameters train. */
    public static void freezeBase(CausalLM model) {
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
    }

    /** The manager the adapter arrays live in; closed by {@link #close()}. */
    public NDManager manager() {
        return manager;
    }

    /** Puts {@code layer} in its module's place. */
    public L wrap(L layer) {
        model.replaceLinear(layer.name(), layer);
        layers.put(layer.name(), layer);
        return layer;
    }

    /** Gives module {@code name} its base layer back. */
    public void unwrap(String name) {
        L layer = layers.remove(name);
        model.replaceLinear(name, layer.base());
    }

    /** The wrapper of module {@code name}, or null. */
    public L get(String name) {
        return layers.get(name);
    }

    /** The wrappers by module name, in the order wrapped (a read-only view). */
    public Map<String, L> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /** True when some wrapped layer of {@code modules} is a GPT-2 Conv1D (PEFT's {@code fan_in_fan_out}). */
    public boolean fanInFanOut(Collection<String> modules) {
        return modules.stream().map(layers::get).anyMatch(Linear::transposed);
    }

    /** True when some wrapped layer is a GPT-2 Conv1D. */
    public boolean fanInFanOut() {
        return fanInFanOut(layers.keySet());
    }

    /** PEFT's {@code merge_and_unload} for the wrappers: {@code merge} folds each in, then its base goes back. */
    public void mergeEach(Consumer<L> merge) {
        for (L layer : layers.values()) {
            merge.accept(layer);
            model.replaceLinear(layer.name(), layer.base());
        }
        layers.clear();
    }

    /** Frees the adapter arrays; every later {@link #requireLoaded} fails. */
    public void close() {
        layers.clear();
        manager.close();
        unloaded = true;
    }

    public boolean unloaded() {
        return unloaded;
    }

    /** Fails with {@code cannot <action>: <arrays> were merged and unloaded} once unloaded. */
    public void requireLoaded(String action) {
        if (unloaded) {
            throw new IllegalStateException("cannot " + action + ": " + unloadedName + " were merged and unloaded");
        }
    }
}
