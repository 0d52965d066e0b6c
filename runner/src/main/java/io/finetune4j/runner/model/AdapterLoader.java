package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.NamedAdapters;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.PluginChoice;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts a saved adapter (PEFT layout) on a model: reads {@code adapter_config.json}, picks the method
 * whose {@code peftType()} matches its {@code peft_type}, binds the keys that method knows onto its
 * defaults (PEFT writes many more; those are ignored with one warning), creates the method on the model
 * and loads the adapter's weights.
 *
 * <p>Several LoRA adapters go on one copy of the base weights, as PEFT's {@code PeftModel} holds them
 * ({@code load_adapter(dir, name)}, {@code set_adapter}, {@code add_weighted_adapter}): see {@link Selection}
 * for the command-line flags and {@link #load(CausalLM, Selection)}; the method offers them through the SPI's
 * {@link NamedAdapters}.
 */
public final class AdapterLoader {
    /** Keys PEFT writes about the file rather than the method; ignoring them changes nothing. */
    private static final Set<String> PEFT_METADATA = PeftAdapterDirectory.METADATA_KEYS;

    private final Map<String, MethodProvider<?>> methods;
    private final ConfigBinder binder;
    private final Console console;

    @Inject
    public AdapterLoader(Map<String, MethodProvider<?>> methods, ConfigBinder binder, Console console) {
        this.methods = requireNonNull(methods, "methods is null");
        this.binder = requireNonNull(binder, "binder is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** Applies the adapter in {@code dir} to {@code model}; the returned method owns its parameters. */
    public Method load(CausalLM model, Path dir) {
        return load(model, dir, DEFAULT_NAME);
    }

    /** Like {@link #load(CausalLM, Path)}, naming the adapter {@code name} (methods that hold several). */
    private Method load(CausalLM model, Path dir, String name) {
        Method method = PluginCalls.createMethod(read(dir), new RunnerMethodContext(model, 0, name));
        method.loadAdapter(dir);
        return method;
    }

    /** The method that reads {@code dir/adapter_config.json}, with the file's settings bound and validated. */
    public PluginChoice<MethodProvider<?>> read(Path dir) {
        Path file = PeftAdapterDirectory.configFile(dir);
        if (!PeftAdapterDirectory.isAdapterDirectory(dir)) {
            throw new ConfigException("--adapter: " + dir.toAbsolutePath() + " has no "
                    + PeftAdapterDirectory.CONFIG_FILE);
        }
        ObjectNode json = readJson(file);
        String peftType = PeftAdapterDirectory.peftType(json).orElseThrow(() -> new ConfigException(
                file + ": peft_type: missing; expected the adapter's type, e.g. \"LORA\""));
        MethodProvider<?> provider = providerFor(file, peftType);
        return new PluginChoice<>(provider.id(), provider, bind(file, provider, json));
    }

    private MethodProvider<?> providerFor(Path file, String peftType) {
        Set<String> known = new TreeSet<>();
        for (MethodProvider<?> provider : methods.values()) {
            Optional<String> type = provider.peftType();
            if (type.isPresent() && type.get().equalsIgnoreCase(peftType)) {
                return provider;
            }
            type.ifPresent(known::add);
        }
        throw new ConfigException(String.format("%s: peft_type: no method plugin reads '%s'; known: %s",
                file, peftType, known));
    }

    private Record bind(Path file, MethodProvider<?> provider, ObjectNode json) {
        Set<String> keys = new HashSet<>(ConfigBinder.keysOf(provider.configType()));
        ObjectNode values = json.deepCopy();
        List<String> ignored = new ArrayList<>();
        json.fields().forEachRemaining(entry -> {
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            boolean known = keys.contains(key);
            String snake = snakeCase(key);
            if (!known && keys.contains(snake) && !json.has(snake)) {
                // PEFT's few camelCase keys (AdaLoRA's deltaT) bind to the method's snake_case setting.
                values.remove(key);
                if (!value.isNull()) {
                    values.set(snake, value);
                }
                return;
            }
            if (!known || value.isNull()) {
                // PEFT writes null for "not set": the method's default stands in for it.
                values.remove(key);
            }
            if (!known && !PEFT_METADATA.contains(key) && !isUnset(value)) {
                ignored.add(key);
            }
        });
        if (!ignored.isEmpty()) {
            console.warning(String.format(Locale.ROOT, "%s: %s ignores %s", file, provider.id(), new TreeSet<>(ignored)));
        }
        ConfigProblems problems = ConfigProblems.at(file.toString());
        Optional<Record> config = bindAndValidate(provider, values, problems);
        problems.throwIfAny();
        return config.orElseThrow();
    }

    /** {@code deltaT} → {@code delta_t}. */
    static String snakeCase(String key) {
        return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private <C extends Record> Optional<Record> bindAndValidate(MethodProvider<C> provider, ObjectNode values,
                                                                ConfigProblems problems) {
        Optional<C> config = binder.bind(provider.defaults(), provider.configType(), values, List.of(), problems);
        config.ifPresent(bound -> provider.validate(bound, problems));
        return config.map(bound -> bound);
    }

    private static boolean isUnset(JsonNode value) {
        return value.isNull() || (value.isBoolean() && !value.asBoolean())
                || (value.isContainerNode() && value.isEmpty()) || (value.isTextual() && value.asText().isEmpty());
    }

    private ObjectNode readJson(Path file) {
        try {
            JsonNode node = binder.mapper().readTree(Files.readString(file));
            if (!(node instanceof ObjectNode object)) {
                throw new ConfigException(file + ": expected a JSON object");
            }
            return object;
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    // ---- several adapters on one base ----

    /** PEFT's name of an adapter given without one. */
    public static final String DEFAULT_NAME = PeftAdapterDirectory.DEFAULT_ADAPTER;
    private static final String LORA_PEFT_TYPE = "LORA";
    private static final Pattern NAMED = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9_.-]*)=(.+)");
    /** LoRA's {@code combination_type}s (PEFT v0.20 {@code add_weighted_adapter}), checked before any weights load. */
    private static final List<String> COMBINATIONS = List.of("linear", "cat", "svd", "ties", "dare_linear", "dare_ties",
            "magnitude_prune", "ties_svd", "dare_linear_svd", "dare_ties_svd", "magnitude_prune_svd");
    private static final List<String> SIGN_METHODS = List.of("total", "frequency");

    /**
     * Which adapters a command applies, from {@code --adapter [NAME=]DIR} (repeatable), {@code --active NAME},
     * {@code --combine NAME=W,NAME=W}, {@code --combination TYPE} (with {@code --density D} and
     * {@code --majority-sign-method total|frequency} for the pruning types) and {@code --no-adapter}.
     *
     * @param adapters adapter directories by name, in command-line order; an unnamed one is {@value #DEFAULT_NAME}
     * @param active the adapter that applies; the first when not given; empty with a combination or none
     * @param combine weights by adapter name, in order; empty for no combination
     * @param combination PEFT's {@code combination_type} of {@code combine}
     * @param density PEFT's {@code density} of the pruning combination types
     * @param majoritySignMethod PEFT's {@code majority_sign_method} of the TIES types
     * @param disabled {@code --no-adapter}: the bare base model
     */
    public record Selection(Map<String, Path> adapters, Optional<String> active, Map<String, Double> combine,
                            String combination, Optional<Double> density, Optional<String> majoritySignMethod,
                            boolean disabled) {
        public Selection {
            adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
            combine = Collections.unmodifiableMap(new LinkedHashMap<>(combine));
            requireNonNull(active, "active is null");
            requireNonNull(combination, "combination is null");
            requireNonNull(density, "density is null");
            requireNonNull(majoritySignMethod, "majoritySignMethod is null");
        }

        /** Parses and checks the flags without pruning settings. */
        public static Selection parse(List<String> adapterArgs, String active, String combine, String combination,
                                      boolean noAdapter) {
            return parse(adapterArgs, active, combine, combination, null, null, noAdapter);
        }

        /** Parses and checks the flags; a {@link ConfigException} names the flag at fault. */
        public static Selection parse(List<String> adapterArgs, String active, String combine, String combination,
                                      Double density, String majoritySignMethod, boolean noAdapter) {
            Map<String, Path> adapters = new LinkedHashMap<>();
            for (String arg : adapterArgs) {
                Matcher named = NAMED.matcher(arg);
                String name = named.matches() ? named.group(1) : DEFAULT_NAME;
                Path dir = Path.of(named.matches() ? named.group(2) : arg);
                if (adapters.putIfAbsent(name, dir) != null) {
                    throw new ConfigException(String.format(Locale.ROOT, "--adapter: two adapters are named '%s'; "
                            + "give each its own name: --adapter NAME=DIR", name));
                }
            }
            if (noAdapter && (active != null || combine != null)) {
                throw new ConfigException("--no-adapter: runs the bare base model; it excludes "
                        + (active != null ? "--active" : "--combine"));
            }
            if (active != null && combine != null) {
                throw new ConfigException("--active: excludes --combine (the combination is the active adapter)");
            }
            if (active != null && !adapters.containsKey(active)) {
                throw new ConfigException(String.format(Locale.ROOT, "--active: no adapter named '%s'; "
                        + "given: %s", active, adapters.keySet()));
            }
            if (combination != null && combine == null) {
                throw new ConfigException("--combination: only applies with --combine NAME=W,NAME=W");
            }
            String type = combination == null ? "linear" : combination;
            if (!COMBINATIONS.contains(type)) {
                throw new ConfigException(String.format(Locale.ROOT, "--combination: must be one of %s, was '%s'",
                        COMBINATIONS, type));
            }
            if ((density != null || majoritySignMethod != null) && combine == null) {
                throw new ConfigException((density != null ? "--density" : "--majority-sign-method")
                        + ": only applies with --combine NAME=W,NAME=W and a pruning --combination");
            }
            if (density != null && !(density >= 0 && density <= 1)) {
                throw new ConfigException(String.format(Locale.ROOT, "--density: must be in [0, 1], was %s", density));
            }
            if (majoritySignMethod != null && !SIGN_METHODS.contains(majoritySignMethod)) {
                throw new ConfigException(String.format(Locale.ROOT, "--majority-sign-method: must be one of %s, "
                        + "was '%s'", SIGN_METHODS, majoritySignMethod));
            }
            Map<String, Double> weights = combine == null ? Map.of() : weights(combine, adapters.keySet());
            Optional<String> chosen = combine != null || noAdapter || adapters.isEmpty() ? Optional.empty()
                    : Optional.of(active != null ? active : adapters.keySet().iterator().next());
            return new Selection(adapters, chosen, weights, type, Optional.ofNullable(density),
                    Optional.ofNullable(majoritySignMethod), noAdapter);
        }

        private static Map<String, Double> weights(String combine, Set<String> names) {
            Map<String, Double> weights = new LinkedHashMap<>();
            for (String entry : combine.split(",", -1)) {
                int equals = entry.indexOf('=');
                String name = equals < 0 ? entry.trim() : entry.substring(0, equals).trim();
                Double weight = null;
                try {
                    weight = equals < 0 ? null : Double.valueOf(entry.substring(equals + 1).trim());
                } catch (NumberFormatException e) {
                    // reported below with the entry
                }
                if (weight == null || weight.isNaN() || weight.isInfinite()) {
                    throw new ConfigException(String.format(Locale.ROOT, "--combine: '%s' is not NAME=WEIGHT "
                            + "(e.g. --combine a=0.7,b=0.3)", entry));
                }
                if (!names.contains(name)) {
                    throw new ConfigException(String.format(Locale.ROOT, "--combine: no adapter named '%s'; "
                            + "given: %s", name, names));
                }
                if (weights.put(name, weight) != null) {
                    throw new ConfigException("--combine: adapter '" + name + "' is weighted twice");
                }
            }
            return weights;
        }

        /** True when the selection needs several adapters on one base (more than one adapter, or a combination). */
        boolean severalAdapters() {
            return adapters.size() > 1 || !combine.isEmpty();
        }
    }

    /**
     * Applies {@code selection}: nothing ({@code --no-adapter}, no adapter), one adapter, or every adapter
     * onto {@code model} over one copy of its base weights (PEFT's
     * {@code PeftModel.from_pretrained} then {@code load_adapter} for the others), then activates
     * {@code active}, or adds the weighted combination (PEFT's {@code add_weighted_adapter}) as a new adapter
     * and activates it. Several adapters need LoRA ({@code peft_type LORA}); any other type is an error.
     */
    public Optional<Method> load(CausalLM model, Selection selection) {
        if (selection.disabled() || selection.adapters().isEmpty()) {
            return Optional.empty();
        }
        if (!selection.severalAdapters()) {
            return Optional.of(load(model, selection.adapters().get(selection.active().orElseThrow())));
        }
        for (Map.Entry<String, Path> adapter : selection.adapters().entrySet()) {
            PluginChoice<MethodProvider<?>> choice = read(adapter.getValue());
            Optional<String> peftType = choice.provider().peftType();
            if (peftType.isEmpty() || !peftType.get().equalsIgnoreCase(LORA_PEFT_TYPE)) {
                throw new ConfigException(String.format(Locale.ROOT, "--adapter %s=%s: peft_type '%s' (method %s): "
                        + "several adapters on one model (--adapter NAME=DIR more than once, or --combine) work for "
                        + "LoRA adapters (peft_type LORA) only; give this adapter alone", adapter.getKey(),
                        adapter.getValue(), peftType.orElse("?"), choice.id()));
            }
        }
        // The first adapter creates the method under its name (PeftModel.from_pretrained); the others load beside it.
        List<String> names = new ArrayList<>(selection.adapters().keySet());
        Method method = load(model, selection.adapters().get(names.get(0)), names.get(0));
        NamedAdapters named = method.namedAdapters().orElseThrow(() -> new ConfigException(String.format(
                "--adapter: the method that reads %s holds one adapter only", selection.adapters().get(names.get(0)))));
        for (String name : names.subList(1, names.size())) {
            try {
                named.loadAdapter(selection.adapters().get(name), name);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--adapter " + name + "=" + selection.adapters().get(name) + ": "
                        + e.getMessage(), e);
            }
        }
        if (selection.combine().isEmpty()) {
            named.setActiveAdapters(List.of(selection.active().orElseThrow()));
        } else {
            String combined = unique("combined", named.adapterNames());
            try {
                named.addWeightedAdapter(new ArrayList<>(selection.combine().keySet()),
                        new ArrayList<>(selection.combine().values()), combined, selection.combination(),
                        selection.density().orElse(null), selection.majoritySignMethod().orElse(null));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--combine: " + e.getMessage(), e);
            }
            named.setActiveAdapters(List.of(combined));
        }
        console.status(String.format(Locale.ROOT, "adapters %s on one base; active: %s", names,
                selection.combine().isEmpty() ? selection.active().orElseThrow()
                        : selection.combination() + " combination of " + selection.combine()));
        return Optional.of(method);
    }

    private static String unique(String name, List<String> taken) {
        String candidate = name;
        for (int i = 2; taken.contains(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }
}
