package io.finetune4j.runtime.model.family;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Experimental;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.Architecture;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the runtime knows about one model family, in one folder under this package: its config.json
 * keys, its forward, the config a random test or bench model gets, and PEFT's default targets for it.
 * A new family is one implementation plus one line in {@link ModelFamilies}. Not for plugins: they read
 * the defaults through {@link ModelFamilies#peftDefaults()}.
 */
@Experimental
public interface ModelFamily {
    /** The {@code model_type} values of config.json this family runs, e.g. {@code [llama, mistral, qwen2]}. */
    List<String> modelTypes();

    /**
     * A config.json of one of {@link #modelTypes()} as a {@link ModelConfig} whose {@code raw()} is the map;
     * every problem goes to {@code keys} (the caller throws them together).
     */
    ModelConfig parse(String modelType, ConfigKeys keys);

    /** The config.json keys of a config built in code (empty {@code raw()}), e.g. a tiny test model. */
    Map<String, Object> toConfigJson(ModelConfig config);

    /**
     * The forward of {@code config} over tensors named {@code tensorNames} (empty for random weights).
     *
     * @param source where the config came from, for messages
     */
    Architecture architecture(ModelConfig config, Set<String> tensorNames, NDManager manager, String source);

    /** A config of {@code shape} whose {@code raw()} is a valid config.json of {@code modelType}. */
    ModelConfig randomConfig(String modelType, ModelShape shape);

    /** PEFT's default target modules for this family and its linear-layer names. */
    PeftTargets peftTargets();

    /**
     * PEFT's default target modules for one of {@link #modelTypes()}, where PEFT's tables differ between the
     * model types of one family (PEFT v0.20 maps IA3 on {@code qwen2} to {@code q_proj}, on {@code llama} to
     * {@code k_proj}); {@link #peftTargets()} by default.
     */
    default PeftTargets peftTargets(String modelType) {
        return peftTargets();
    }
}
