package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A Hugging Face PEFT adapter directory, read and written in one place: {@value #CONFIG_FILE} (PEFT's keys,
 * sorted as PEFT writes them, with {@code peft_type} naming the method) and {@value #WEIGHTS_FILE} (float32
 * tensors by PEFT's state-dict names, {@code __metadata__ {"format": "pt"}}), each written to a temporary
 * sibling and moved into place. PEFT's {@code save_pretrained} puts the adapter named
 * {@value #DEFAULT_ADAPTER} in the directory itself and every other in a subfolder of its name
 * ({@link #adapterDir}). Methods keep what is their own (config keys, tensor names, how a stored tensor
 * fits a parameter); the messages here name the file and say what was expected.
 */
@Stable
public final class PeftAdapterDirectory {
    /** PEFT's settings file. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** PEFT's weights file. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** PEFT's name of an adapter given without one. */
    public static final String DEFAULT_ADAPTER = "default";

    /** Keys PEFT writes about the file rather than the method. */
    public static final Set<String> METADATA_KEYS = Set.of("peft_type", "base_model_name_or_path", "revision",
            "task_type", "inference_mode", "auto_mapping");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PeftAdapterDirectory() {}

    /** True when {@code dir} holds an {@value #CONFIG_FILE}. */
    public static boolean isAdapterDirectory(Path dir) {
        return Files.isRegularFile(configFile(dir));
    }

    public static Path configFile(Path dir) {
        return dir.resolve(CONFIG_FILE);
    }

    public static Path weightsFile(Path dir) {
        return dir.resolve(WEIGHTS_FILE);
    }

    /** Where {@code save_pretrained} puts adapter {@code adapterName}: {@code dir}, or {@code dir/<name>}. */
    public static Path adapterDir(Path dir, String adapterName) {
        return DEFAULT_ADAPTER.equals(adapterName) ? dir : dir.resolve(adapterName);
    }

    /**
     * The keys every PEFT config of a causal LM holds ({@code auto_mapping}, {@code base_model_name_or_path},
     * {@code inference_mode}, {@code peft_type}, {@code revision}, {@code task_type}), in a sorted, mutable map
     * the method adds its own keys to.
     */
    public static Map<String, Object> commonConfig(String peftType, String baseModelNameOrPath) {
        Map<String, Object> json = new TreeMap<>();
        json.put("auto_mapping", null);
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("inference_mode", true);
        json.put("peft_type", peftType);
        json.put("revision", null);
        json.put("task_type", "CAUSAL_LM");
        return json;
    }

    /** The config's {@code peft_type}, when it holds one as text. */
    public static Optional<String> peftType(JsonNode config) {
        JsonNode type = config.get("peft_type");
        return type != null && type.isTextual() ? Optional.of(type.asText()) : Optional.empty();
    }

    /** Writes one adapter into {@code dir}: {@code tensors} as float32, then {@code config} with its keys sorted. */
    public static void write(Path dir, Map<String, ?> config, Map<String, NDArray> tensors) {
        write(configFile(dir), config, weightsFile(dir), tensors);
    }

    /** As {@link #write(Path, Map, Map)} with other file names (adapters PEFT has no format for). */
    public static void write(Path configFile, Map<String, ?> config, Path weightsFile, Map<String, NDArray> tensors) {
        Map<String, DataType> dtypes = new LinkedHashMap<>();
        tensors.keySet().forEach(name -> dtypes.put(name, DataType.FLOAT32));
        SafetensorsWriter.write(weightsFile, tensors, dtypes, Map.of("format", "pt"));
        Map<String, Object> sorted = new TreeMap<>(config);
        AtomicFiles.writeAtomically(configFile, temp -> JSON.writeValue(temp.toFile(), sorted));
    }

    /**
     * Parses {@code dir}'s {@value #CONFIG_FILE}, which must be a JSON object whose {@code peft_type} is
     * {@code peftType}.
     *
     * @throws ConfigException naming the file when it is missing, unreadable, or of another type
     */
    public static JsonNode readConfig(Path dir, String peftType) {
        Path file = configFile(dir);
        JsonNode json = readJson(file);
        String saved = json.path("peft_type").asText("");
        if (!peftType.equals(saved)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: peft_type is '%s', expected '%s'", file, saved,
                    peftType));
        }
        return json;
    }

    /** Parses {@code file}, which must exist and hold a JSON object. */
    public static JsonNode readJson(Path file) {
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (json == null || !json.isObject()) {
            throw new ConfigException(file + ": expected a JSON object");
        }
        return json;
    }

    /** How a stored tensor fills a parameter whose shape it may not have; returns the values in {@code target}. */
    @FunctionalInterface
    public interface TensorFit {
        float[] values(Path weightsFile, String name, String source, NDArray loaded, Shape target);

        /** The stored shape must be the parameter's; {@code hint} (may be empty) ends the message when not. */
        static TensorFit sameShape(String hint) {
            return (file, name, source, loaded, target) -> {
                if (!loaded.getShape().equals(target)) {
                    throw new ConfigException(String.format(Locale.ROOT, "%s: tensor '%s' has shape %s, expected %s%s",
                            file, source, loaded.getShape(), target, hint));
                }
                return loaded.toFloatArray();
            };
        }
    }

    /**
     * Copies the tensors of {@code dir}'s {@value #WEIGHTS_FILE} into {@code parameters} (by saved name). A
     * parameter is read from the first of {@code aliases(name)} the file holds (its own name first, then older
     * spellings).
     *
     * @param targetModules named in the message for tensors that feed no parameter
     * @throws ConfigException for a tensor no parameter takes, a missing tensor, or a shape {@code fit} refuses
     */
    public static void readTensors(Path dir, Map<String, NDArray> parameters, Function<String, List<String>> aliases,
                                   Object targetModules, TensorFit fit) {
        readTensorsFrom(weightsFile(dir), parameters, aliases,
                "have no adapted module in this model (target_modules " + targetModules + ")", fit);
    }

    /**
     * As {@link #readTensors(Path, Map, Function, Object, TensorFit)} from any safetensors file (adapters PEFT
     * has no format for); {@code unmatched} ends the message for tensors that feed no parameter.
     */
    public static void readTensorsFrom(Path weightsFile, Map<String, NDArray> parameters,
                                       Function<String, List<String>> aliases, String unmatched, TensorFit fit) {
        try (SafetensorsReader reader = SafetensorsReader.open(weightsFile);
             NDManager scratch = NDManager.newBaseManager()) {
            Set<String> extra = new TreeSet<>();
            reader.tensors().forEach(info -> extra.add(info.name()));
            Map<String, String> sources = new LinkedHashMap<>();
            for (String name : parameters.keySet()) {
                aliases.apply(name).stream().filter(extra::contains).findFirst()
                        .ifPresent(alias -> sources.put(name, alias));
            }
            extra.removeAll(sources.values());
            if (!extra.isEmpty()) {
                throw new ConfigException(weightsFile + ": tensors " + extra + " " + unmatched);
            }
            for (Map.Entry<String, NDArray> parameter : parameters.entrySet()) {
                String name = parameter.getKey();
                String source = sources.get(name);
                if (source == null) {
                    throw new ConfigException(weightsFile + ": missing tensor '" + name + "'");
                }
                NDArray target = parameter.getValue();
                target.set(fit.values(weightsFile, name, source, reader.load(source, scratch), target.getShape()));
            }
        }
    }

    /** Throws {@link #mismatch} when a saved number differs from the method's (whole numbers without ".0"). */
    public static void checkSame(Path file, String key, double saved, double expected) {
        if (saved != expected) {
            throw mismatch(file, key, number(saved), number(expected));
        }
    }

    /**
     * The message for a saved setting that differs from the method's:
     * {@code <file>: <key> is <saved>, but the method was created with <key> <expected>}.
     */
    public static ConfigException mismatch(Path file, String key, Object saved, Object expected) {
        return new ConfigException(String.format(Locale.ROOT, "%s: %s is %s, but the method was created with %s %s",
                file, key, saved, key, expected));
    }

    /** PEFT writes null for an unset list or string. */
    public static Object unsetIfEmpty(Object value) {
        return value instanceof Collection<?> c && c.isEmpty() || "".equals(value) ? null : value;
    }

    /** Whole numbers as JSON integers, as PEFT's own configs hold {@code lora_alpha: 16}. */
    public static Object number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? (Object) (long) value : (Object) value;
    }
}
