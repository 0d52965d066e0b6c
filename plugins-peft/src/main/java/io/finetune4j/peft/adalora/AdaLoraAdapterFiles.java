package io.finetune4j.peft.adalora;

import static io.finetune4j.runtime.io.PeftAdapterDirectory.checkSame;
import static io.finetune4j.runtime.io.PeftAdapterDirectory.number;
import static io.finetune4j.runtime.io.PeftAdapterDirectory.unsetIfEmpty;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An AdaLoRA adapter in Hugging Face PEFT's layout. PEFT keeps A, E and B in {@code nn.ParameterDict}s, so
 * its state-dict names carry no {@code .weight}: {@code base_model.model.<module>.lora_A} {@code [r, in]},
 * {@code ...lora_B} {@code [out, r]}, {@code ...lora_E} {@code [r, 1]} ({@code save_and_load.py}: "comes from
 * an nn.Parameter, so no .weight suffix"). As PEFT's {@code resize_state_dict_by_rank_pattern} does on save, a
 * module whose {@code rank_pattern} keeps {@code k} triplets is written with only those {@code k} rows of A and
 * E and columns of B; {@code rank_pattern} goes into adapter_config.json under the keys
 * {@code <module>.lora_E}. On load, a trimmed tensor goes back into the kept positions of a module created at
 * {@code init_r} (the others are zero, so the function is the same) or into a module created at the kept rank.
 */
final class AdaLoraAdapterFiles {
    private static final List<String> PARTS = List.of(".lora_A", ".lora_B", ".lora_E");

    private AdaLoraAdapterFiles() {}

    static void write(Path dir, AdaLoraMethod method, String baseModelNameOrPath) {
        AdaLoraConfig config = method.config();
        Map<String, List<Boolean>> pattern = method.rankPattern();
        Map<String, Object> json = PeftAdapterDirectory.commonConfig(AdaLoraMethod.PEFT_TYPE, baseModelNameOrPath);
        json.put("beta1", config.beta1());
        json.put("beta2", config.beta2());
        json.put("bias", config.bias());
        json.put("deltaT", config.deltaT());
        json.put("exclude_modules", unsetIfEmpty(config.excludeModules()));
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("init_lora_weights", config.initLoraWeights());
        json.put("init_r", config.initR());
        json.put("layers_pattern", unsetIfEmpty(config.layersPattern()));
        json.put("layers_to_transform", unsetIfEmpty(config.layersToTransform()));
        json.put("lora_alpha", number(config.loraAlpha()));
        json.put("lora_dropout", config.loraDropout());
        json.put("orth_reg_weight", config.orthRegWeight());
        json.put("rank_pattern", pattern.isEmpty() ? null : pattern);
        json.put("target_modules", config.targetModules() instanceof String regex ? regex : method.savedTargetModules());
        json.put("target_r", config.targetR());
        json.put("tfinal", config.tfinal());
        json.put("tinit", config.tinit());
        json.put("total_step", config.totalStep());
        json.put("use_dora", false);

        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            method.trainableParameters().forEach((name, array) -> tensors.put(name, trimmed(name, array, pattern, scratch)));
            PeftAdapterDirectory.write(dir, json, tensors);
        }
    }

    /**
     * PEFT's {@code resize_state_dict_by_rank_pattern}: {@code t[mask]} (A, E) or {@code t[:, mask]} (B) when the
     * kept count differs from the tensor's rank, else the tensor unchanged.
     */
    private static NDArray trimmed(String name, NDArray array, Map<String, List<Boolean>> pattern, NDManager scratch) {
        String part = part(name);
        if (part == null) {
            return array;
        }
        String module = module(name, part);
        List<Boolean> mask = pattern.get(module + ".lora_E");
        boolean columns = part.equals(".lora_B");
        Shape shape = array.getShape();
        int rank = Math.toIntExact(columns ? shape.get(1) : shape.get(0));
        if (mask == null || count(mask) == rank) {
            return array;
        }
        if (mask.size() != rank) {
            throw new IllegalStateException(name + ": rank_pattern lists " + mask.size() + " triplets, the tensor has " + rank);
        }
        int kept = count(mask);
        int other = Math.toIntExact(columns ? shape.get(0) : shape.get(1));
        float[] out = new float[kept * other];
        copyKept(array.toFloatArray(), out, mask, other, columns, true);
        return scratch.create(out, columns ? new Shape(other, kept) : new Shape(kept, other));
    }

    /** Checks {@code dir}'s adapter against {@code method}, copies its tensors in and returns its rank pattern. */
    static Map<String, List<Boolean>> read(Path dir, AdaLoraMethod method) {
        Path configFile = PeftAdapterDirectory.configFile(dir);
        JsonNode json = PeftAdapterDirectory.readConfig(dir, AdaLoraMethod.PEFT_TYPE);
        AdaLoraConfig config = method.config();
        checkSame(configFile, "init_r", json.path("init_r").asDouble(Double.NaN), config.initR());
        checkSame(configFile, "lora_alpha", json.path("lora_alpha").asDouble(Double.NaN), config.loraAlpha());
        Map<String, List<Boolean>> pattern = rankPattern(configFile, json.path("rank_pattern"));
        // ours first, then a ".weight" spelling some converters write
        PeftAdapterDirectory.readTensors(dir, method.trainableParameters(), name -> List.of(name, name + ".weight"),
                config.targetModules(), (file, name, source, loaded, target) ->
                        fitted(file, name, source, loaded, target, pattern));
        return pattern;
    }

    /**
     * The loaded values in the parameter's shape: unchanged when the shapes agree; a tensor PEFT trimmed to the
     * kept triplets is scattered back into the kept rows of A and E (columns of B), zeros elsewhere.
     */
    private static float[] fitted(Path file, String name, String source, NDArray loaded, Shape target,
                                  Map<String, List<Boolean>> pattern) {
        Shape shape = loaded.getShape();
        if (shape.equals(target)) {
            return loaded.toFloatArray();
        }
        String part = part(name);
        List<Boolean> mask = part == null ? null : pattern.get(module(name, part) + ".lora_E");
        boolean columns = ".lora_B".equals(part);
        if (mask == null || shape.dimension() != 2 || target.dimension() != 2) {
            throw shapeMismatch(file, source, shape, target);
        }
        int rank = Math.toIntExact(columns ? target.get(1) : target.get(0));
        int other = Math.toIntExact(columns ? target.get(0) : target.get(1));
        int kept = count(mask);
        Shape expected = columns ? new Shape(other, kept) : new Shape(kept, other);
        if (mask.size() != rank || !shape.equals(expected)) {
            throw shapeMismatch(file, source, shape, target);
        }
        float[] full = new float[rank * other];
        copyKept(loaded.toFloatArray(), full, mask, other, columns, false);
        return full;
    }

    /**
     * Moves the kept triplets between a tensor of rank {@code mask.size()} and one of the kept count: rows of
     * A and E ({@code [r, other]}), columns of B ({@code [other, r]}); {@code trim} copies full → kept, else
     * kept → full (the rest of {@code to} stays zero).
     */
    private static void copyKept(float[] from, float[] to, List<Boolean> mask, int other, boolean columns,
                                 boolean trim) {
        int rank = mask.size();
        int kept = count(mask);
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (!mask.get(i)) {
                continue;
            }
            for (int j = 0; j < other; j++) {
                int full = columns ? j * rank + i : i * other + j;
                int small = columns ? j * kept + k : k * other + j;
                if (trim) {
                    to[small] = from[full];
                } else {
                    to[full] = from[small];
                }
            }
            k++;
        }
    }

    private static ConfigException shapeMismatch(Path file, String source, Shape shape, Shape target) {
        return new ConfigException(String.format(Locale.ROOT, "%s: tensor '%s' has shape %s, expected %s (or the"
                + " kept triplets of rank_pattern)", file, source, shape, target));
    }

    private static Map<String, List<Boolean>> rankPattern(Path file, JsonNode node) {
        Map<String, List<Boolean>> pattern = new LinkedHashMap<>();
        if (node == null || node.isNull() || node.isMissingNode()) {
            return pattern;
        }
        if (!node.isObject()) {
            throw new ConfigException(file + ": rank_pattern must be an object of true/false lists, was " + node);
        }
        node.fields().forEachRemaining(entry -> {
            if (!entry.getValue().isArray()) {
                throw new ConfigException(file + ": rank_pattern." + entry.getKey() + " must be a list of true/false");
            }
            List<Boolean> mask = new ArrayList<>();
            entry.getValue().forEach(value -> mask.add(value.asBoolean()));
            pattern.put(entry.getKey(), mask);
        });
        return pattern;
    }

    private static String part(String name) {
        return PARTS.stream().filter(name::endsWith).findFirst().orElse(null);
    }

    private static String module(String name, String part) {
        return name.substring(AdaLoraMethod.PREFIX.length(), name.length() - part.length());
    }

    private static int count(List<Boolean> mask) {
        return (int) mask.stream().filter(Boolean::booleanValue).count();
    }
}
