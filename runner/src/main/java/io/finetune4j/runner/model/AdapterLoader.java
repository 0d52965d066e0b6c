package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.Console;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.PluginChoice;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Puts a saved adapter (PEFT layout) on a model: reads {@code adapter_config.json}, picks the method
 * whose {@code peftType()} matches its {@code peft_type}, binds the keys that method knows onto its
 * defaults (PEFT writes many more; those are ignored with one warning), creates the method on the model
 * and loads the adapter's weights.
 */
public final class AdapterLoader {
    static final String CONFIG_FILE = "adapter_config.json";
    /** Keys PEFT writes about the file rather than the method; ignoring them changes nothing. */
    private static final Set<String> PEFT_METADATA = Set.of("peft_type", "base_model_name_or_path", "revision",
            "task_type", "inference_mode", "auto_mapping");

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
        Method method = PluginCalls.createMethod(read(dir), new RunnerMethodContext(model, 0));
        method.loadAdapter(dir);
        return method;
    }

    /** The method that reads {@code dir/adapter_config.json}, with the file's settings bound and validated. */
    public PluginChoice<MethodProvider<?>> read(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--adapter: " + dir.toAbsolutePath() + " has no " + CONFIG_FILE);
        }
        ObjectNode json = readJson(file);
        JsonNode peftType = json.get("peft_type");
        if (peftType == null || !peftType.isTextual()) {
            throw new ConfigException(file + ": peft_type: missing; expected the adapter's type, e.g. \"LORA\"");
        }
        MethodProvider<?> provider = providerFor(file, peftType.asText());
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
}
