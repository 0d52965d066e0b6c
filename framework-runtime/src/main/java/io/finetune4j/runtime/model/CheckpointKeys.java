package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * transformers' rules for matching a checkpoint's tensor names to the model's, after
 * {@code PreTrainedModel._load_pretrained_model} and {@code _find_missing_and_unexpected_keys} of
 * transformers v4.46–4.57 ({@code src/transformers/modeling_utils.py}):
 *
 * <ul>
 *   <li>the base-model prefix ({@code model.}, {@code transformer.}) is present when any key starts with it
 *       (the architectures detect it that way), absent otherwise;
 *   <li>tied weights form one group: a tied embedding stored only under {@code lm_head.weight} fills the
 *       embedding, and an {@code lm_head.weight} stored beside a tied embedding is neither missing nor
 *       unexpected (the tie wins, as {@code tie_weights()} does after loading);
 *   <li>buffers transformers never counts ({@code rotary_emb.inv_freq}, GPT-2's {@code attn.bias} and
 *       {@code attn.masked_bias}) are ignored;
 *   <li>missing, misshapen and unexpected keys are reported together in one {@link ConfigException} (its
 *       loading report); unexpected keys alone only warn and are kept as loaded.
 * </ul>
 */
final class CheckpointKeys {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointKeys.class);
    static final String HEAD = "lm_head.weight";
    /** Keys transformers drops from the unexpected list: non-persistent buffers of older checkpoints. */
    private static final List<Pattern> IGNORED_UNEXPECTED = List.of(
            Pattern.compile("rotary_emb\\.inv_freq$"),
            Pattern.compile("(^|\\.)h\\.\\d+\\.attn\\.(masked_)?bias$"));

    private CheckpointKeys() {}

    /**
     * {@code tensors} with a tied embedding stored only as {@code lm_head.weight} moved to the embedding's
     * name (same position); the map itself when nothing moves.
     */
    static Map<String, NDArray> tieStoredHead(Map<String, NDArray> tensors, Architecture architecture) {
        String embedding = architecture.embeddingName();
        if (!architecture.tiedHead() || tensors.containsKey(embedding) || !tensors.containsKey(HEAD)) {
            return tensors;
        }
        Map<String, NDArray> renamed = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> renamed.put(HEAD.equals(name) ? embedding : name, tensor));
        return renamed;
    }

    /** Throws the loading report when a read tensor is missing or misshapen; warns about unexpected ones. */
    static void check(Map<String, NDArray> tensors, Architecture architecture, String source) {
        List<TensorSpec> specs = architecture.tensorSpecs();
        List<String> problems = new ArrayList<>();
        for (TensorSpec spec : specs) {
            NDArray tensor = tensors.get(spec.name());
            if (tensor == null) {
                problems.add(source + ": missing tensor '" + spec.name() + "' (expected shape " + TensorSpec.format(spec.shape()) + ")");
            } else if (!tensor.getShape().equals(spec.shape())) {
                problems.add(source + ": tensor '" + spec.name() + "' has shape " + TensorSpec.format(tensor.getShape())
                        + ", expected " + TensorSpec.format(spec.shape()) + " from config.json");
            }
        }
        List<String> unexpected = unexpected(tensors.keySet(), architecture);
        if (!problems.isEmpty()) {
            for (String name : unexpected) {
                problems.add(source + ": unexpected tensor '" + name + "' (shape "
                        + TensorSpec.format(tensors.get(name).getShape()) + "), not read by the model");
            }
            throw new ConfigException(problems);
        }
        if (!unexpected.isEmpty()) {
            LOG.warn("{}: {} tensors of the checkpoint are not used by the model and are kept as loaded: {}",
                    source, unexpected.size(), unexpected);
        }
    }

    /** Names the forward does not read, less the tied head and the ignored buffers, in checkpoint order. */
    static List<String> unexpected(Set<String> names, Architecture architecture) {
        Set<String> specified = architecture.tensorSpecs().stream().map(TensorSpec::name).collect(Collectors.toSet());
        List<String> unexpected = new ArrayList<>();
        for (String name : names) {
            boolean tiedHead = architecture.tiedHead() && HEAD.equals(name);
            boolean ignored = IGNORED_UNEXPECTED.stream().anyMatch(pattern -> pattern.matcher(name).find());
            if (!specified.contains(name) && !tiedHead && !ignored) {
                unexpected.add(name);
            }
        }
        return unexpected;
    }
}
