package io.finetune4j.peft.full;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Full (or partial) fine-tuning: the model's own parameters train under their Hugging Face names, and the
 * result is a whole checkpoint rather than an adapter.
 */
public final class FullMethod implements Method {
    /** Decoder layer index in a Hugging Face name: Llama family {@code model.layers.N.}, GPT-2 {@code h.N.}. */
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|h)\\.(\\d+)\\.");

    private final Map<String, NDArray> trainable = new LinkedHashMap<>();

    FullMethod(FullConfig config, CausalLM model) {
        int layerCount = model.config().numHiddenLayers();
        TreeSet<Integer> missing = new TreeSet<>();
        config.trainableLayers().stream().filter(layer -> layer >= layerCount).forEach(missing::add);
        if (!missing.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "trainable_layers: %s do not exist; the model has %d layers (0-%d)",
                    missing, layerCount, layerCount - 1));
        }
        List<Pattern> frozen = config.freezePatterns().stream().map(Pattern::compile).toList();
        for (Map.Entry<String, NDArray> parameter : model.parameters().entrySet()) {
            String name = parameter.getKey();
            boolean train = inTrainableLayer(name, config.trainableLayers())
                    && frozen.stream().noneMatch(pattern -> pattern.matcher(name).find());
            parameter.getValue().setRequiresGradient(train);
            if (train) {
                trainable.put(name, parameter.getValue());
            }
        }
        if (trainable.isEmpty()) {
            throw new ConfigException("trainable_layers and freeze_patterns leave no parameter to train");
        }
    }

    private static boolean inTrainableLayer(String name, List<Integer> layers) {
        if (layers.isEmpty()) {
            return true;
        }
        OptionalInt layer = layerOf(name);
        return layer.isPresent() && layers.contains(layer.getAsInt());
    }

    /** The decoder layer a parameter belongs to, if any. */
    static OptionalInt layerOf(String name) {
        Matcher matcher = LAYER.matcher(name);
        return matcher.find() ? OptionalInt.of(Integer.parseInt(matcher.group(1))) : OptionalInt.empty();
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    @Override
    public boolean isAdapter() {
        return false;
    }
}
