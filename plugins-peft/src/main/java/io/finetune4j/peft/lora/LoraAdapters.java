package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The named adapters of one {@link LoraMethod}, as PEFT's {@code PeftModel} keeps them over one copy of the base:
 * what each owns ({@link State}), which are active (PEFT's {@code active_adapters}, the first is the current
 * one), and which was first (the only one that may change the shared base). Knows nothing about layers.
 */
final class LoraAdapters {
    /**
     * What one named adapter owns: its settings, its arrays (in its own manager, freed when it is deleted), its
     * parameters by saved name, and the module names it adapts.
     */
    static final class State {
        final LoraConfig config;
        final NDManager manager;
        final Map<String, NDArray> trainable = new LinkedHashMap<>();
        final Set<String> modules = new LinkedHashSet<>();
        final Object savedTargets;

        State(LoraConfig config, NDManager manager, Object savedTargets) {
            this.config = config;
            this.manager = manager;
            this.savedTargets = savedTargets;
        }

        void setTrainable(boolean trainable) {
            this.trainable.values().forEach(array -> array.setRequiresGradient(trainable));
        }
    }

    private final Map<String, State> adapters = new LinkedHashMap<>();
    private final String first;
    private List<String> active = List.of();

    LoraAdapters(String first) {
        this.first = first;
    }

    void add(String name, State state) {
        adapters.put(name, state);
    }

    /** Refuses a name in use: {@code <where>: an adapter named 'n' is already loaded; loaded: [...]}. */
    void requireNew(String name, String where) {
        if (adapters.containsKey(name)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: an adapter named '%s' is "
                    + "already loaded; loaded: %s", where, name, adapters.keySet()));
        }
    }

    boolean contains(String name) {
        return adapters.containsKey(name);
    }

    State get(String name) {
        return adapters.get(name);
    }

    State require(String name) {
        State state = adapters.get(name);
        if (state == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "'; loaded: " + adapters.keySet());
        }
        return state;
    }

    State remove(String name) {
        return adapters.remove(name);
    }

    /** The current adapter's state (the first active, else the first added). */
    State current() {
        if (adapters.isEmpty()) {
            throw new IllegalStateException("every adapter was deleted");
        }
        return adapters.get(active.isEmpty() ? adapters.keySet().iterator().next() : active.get(0));
    }

    /** The adapter the method was created with; it alone may own biases and modules to save. */
    String firstName() {
        return first;
    }

    boolean isFirst(State state) {
        return state == adapters.get(first);
    }

    Set<String> names() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    Collection<State> states() {
        return Collections.unmodifiableCollection(adapters.values());
    }

    int size() {
        return adapters.size();
    }

    boolean isEmpty() {
        return adapters.isEmpty();
    }

    List<String> active() {
        return active;
    }

    /** Exactly {@code names} apply (each must exist), the first trains; returns the new list. */
    List<String> setActive(List<String> names) {
        names.forEach(this::require);
        active = List.copyOf(new LinkedHashSet<>(names));
        adapters.forEach((name, state) -> state.setTrainable(!active.isEmpty() && active.get(0).equals(name)));
        return active;
    }

    /**
     * The active list once {@code deleted} is gone; when it was the only active one the first remaining adapter
     * (PEFT's {@code BaseTunerLayer.delete_adapter}).
     */
    List<String> activeAfterDeleting(String deleted) {
        List<String> remaining = new ArrayList<>(active);
        remaining.remove(deleted);
        if (remaining.isEmpty() && active.contains(deleted) && !adapters.isEmpty()) {
            remaining.add(adapters.keySet().iterator().next());
        }
        return remaining;
    }

    void clear() {
        adapters.clear();
    }
}
