package io.finetune4j.runtime.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code config.json} ↔ {@link ModelConfig}. Defaults are those of transformers'
 * {@code LlamaConfig}, {@code MistralConfig}, {@code Qwen2Config} and {@code GPT2Config}; the keys that
 * fix the shape of the weights are required. Every problem is reported at once, each naming the file and
 * the key.
 */
public final class ModelConfigJson {
    /** The {@code model_type} values this runtime runs. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelConfigJson() {}

    /** Parses the text of a config.json; {@code source} names the file in messages. */
    @SuppressWarnings("unchecked")
    public static ModelConfig parse(String json, String source) {
        Object value;
        try {
            value = JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(value instanceof Map)) {
            throw new ConfigException(source + ": must be a JSON object");
        }
        return fromMap((Map<String, Object>) value, source);
    }

    /** Builds a {@link ModelConfig} from a parsed config.json, which becomes its {@code raw()}. */
    public static ModelConfig fromMap(Map<String, Object> raw, String source) {
        Reader reader = new Reader(raw, source);
        Object modelType = raw.get("model_type");
        if (modelType == null) {
            throw new ConfigException(String.format("%s: missing required key 'model_type'; supported: %s",
                    source, SUPPORTED_MODEL_TYPES));
        }
        if (!SUPPORTED_MODEL_TYPES.contains(modelType.toString())) {
            throw new ConfigException(String.format("%s: model_type '%s' is not supported; supported: %s",
                    source, modelType, SUPPORTED_MODEL_TYPES));
        }
        ModelConfig config = "gpt2".equals(modelType) ? gpt2(reader, raw) : llamaFamily(reader, raw, modelType.toString());
        if (!reader.problems.isEmpty()) {
            throw new ConfigException(reader.problems);
        }
        return config;
    }

    private static ModelConfig llamaFamily(Reader reader, Map<String, Object> raw, String modelType) {
        int vocab = reader.positiveInt("vocab_size");
        int hidden = reader.positiveInt("hidden_size");
        int layers = reader.positiveInt("num_hidden_layers");
        int heads = reader.positiveInt("num_attention_heads");
        int kvHeads = reader.optionalPositiveInt("num_key_value_heads", heads);
        int intermediate = reader.positiveInt("intermediate_size");
        int defaultPositions = switch (modelType) {
            case "mistral" -> 4096 * 32;
            case "qwen2" -> 32768;
            default -> 2048;
        };
        int positions = reader.optionalPositiveInt("max_position_embeddings", defaultPositions);
        double eps = reader.positiveDouble("rms_norm_eps", 1e-6);
        double ropeTheta = reader.ropeTheta();
        boolean tie = reader.bool("tie_word_embeddings", false);
        // Qwen2's q/k/v projections always carry biases; Llama and Mistral only with attention_bias.
        boolean attentionBias = "qwen2".equals(modelType) || reader.bool("attention_bias", false);
        String act = reader.string("hidden_act", "silu");
        reader.unsupportedIfTrue("mlp_bias", "MLP biases are not supported");
        reader.checkHeads(hidden, "hidden_size", heads, "num_attention_heads", kvHeads, "num_key_value_heads");
        return new ModelConfig(modelType, vocab, hidden, layers, heads, kvHeads, intermediate, positions, eps,
                ropeTheta, tie, attentionBias, act, raw);
    }

    private static ModelConfig gpt2(Reader reader, Map<String, Object> raw) {
        int vocab = reader.positiveInt("vocab_size");
        int hidden = reader.positiveInt("n_embd");
        int layers = reader.positiveInt("n_layer");
        int heads = reader.positiveInt("n_head");
        int inner = reader.optionalPositiveInt("n_inner", hidden > 0 ? 4 * hidden : 0);
        int positions = reader.optionalPositiveInt("n_positions", 1024);
        double eps = reader.positiveDouble("layer_norm_epsilon", 1e-5);
        String act = reader.string("activation_function", "gelu_new");
        boolean tie = reader.bool("tie_word_embeddings", true);
        reader.unsupportedIfTrue("scale_attn_by_inverse_layer_idx", "per-layer attention scaling is not supported");
        if (!reader.bool("scale_attn_weights", true)) {
            reader.problems.add(reader.source + ": scale_attn_weights false is not supported");
        }
        reader.checkHeads(hidden, "n_embd", heads, "n_head", heads, "n_head");
        return new ModelConfig("gpt2", vocab, hidden, layers, heads, heads, inner, positions, eps, 0.0, tie, true,
                act, raw);
    }

    /**
     * The config.json content of {@code config}: its {@code raw()} when it has one, else the Hugging Face
     * keys of its fields (for configs built in code, e.g. tiny test models).
     */
    public static Map<String, Object> toMap(ModelConfig config) {
        if (!config.raw().isEmpty()) {
            return config.raw();
        }
        Map<String, Object> map = new LinkedHashMap<>();
        if (config.isGpt2()) {
            map.put("architectures", List.of("GPT2LMHeadModel"));
            map.put("model_type", "gpt2");
            map.put("vocab_size", config.vocabSize());
            map.put("n_embd", config.hiddenSize());
            map.put("n_layer", config.numHiddenLayers());
            map.put("n_head", config.numAttentionHeads());
            map.put("n_inner", config.intermediateSize());
            map.put("n_positions", config.maxPositionEmbeddings());
            map.put("layer_norm_epsilon", config.normEps());
            map.put("activation_function", config.hiddenAct());
            map.put("tie_word_embeddings", config.tieWordEmbeddings());
        } else {
            String architecture = switch (config.modelType()) {
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                default -> "LlamaForCausalLM";
            };
            map.put("architectures", List.of(architecture));
            map.put("model_type", config.modelType());
            map.put("vocab_size", config.vocabSize());
            map.put("hidden_size", config.hiddenSize());
            map.put("intermediate_size", config.intermediateSize());
            map.put("num_hidden_layers", config.numHiddenLayers());
            map.put("num_attention_heads", config.numAttentionHeads());
            map.put("num_key_value_heads", config.numKeyValueHeads());
            map.put("max_position_embeddings", config.maxPositionEmbeddings());
            map.put("rms_norm_eps", config.normEps());
            map.put("rope_theta", config.ropeTheta());
            map.put("hidden_act", config.hiddenAct());
            map.put("tie_word_embeddings", config.tieWordEmbeddings());
            if (!"qwen2".equals(config.modelType())) {
                map.put("attention_bias", config.attentionBias());
            }
        }
        map.put("torch_dtype", "float32");
        return map;
    }

    /** Reads typed keys, collecting a message per problem instead of stopping at the first. */
    private static final class Reader {
        private final Map<String, Object> raw;
        private final String source;
        private final List<String> problems = new ArrayList<>();

        Reader(Map<String, Object> raw, String source) {
            this.raw = raw;
            this.source = source;
        }

        int positiveInt(String key) {
            Object value = raw.get(key);
            if (value == null) {
                problems.add(String.format("%s: missing required key '%s' (model_type '%s')",
                        source, key, raw.get("model_type")));
                return 0;
            }
            return checkPositiveInt(key, value);
        }

        int optionalPositiveInt(String key, int fallback) {
            Object value = raw.get(key);
            return value == null ? fallback : checkPositiveInt(key, value);
        }

        private int checkPositiveInt(String key, Object value) {
            boolean integral = value instanceof Integer || value instanceof Long || value instanceof BigInteger;
            if (!integral || ((Number) value).doubleValue() < 1 || ((Number) value).doubleValue() > Integer.MAX_VALUE) {
                problems.add(String.format("%s: '%s' must be a positive integer, was %s", source, key, show(value)));
                return 0;
            }
            return ((Number) value).intValue();
        }

        double positiveDouble(String key, double fallback) {
            Object value = raw.get(key);
            if (value == null) {
                return fallback;
            }
            if (!(value instanceof Number number) || !(number.doubleValue() > 0) || Double.isInfinite(number.doubleValue())) {
                problems.add(String.format("%s: '%s' must be a positive number, was %s", source, key, show(value)));
                return fallback;
            }
            return number.doubleValue();
        }

        boolean bool(String key, boolean fallback) {
            Object value = raw.get(key);
            if (value == null) {
                return fallback;
            }
            if (!(value instanceof Boolean flag)) {
                problems.add(String.format("%s: '%s' must be true or false, was %s", source, key, show(value)));
                return fallback;
            }
            return flag;
        }

        String string(String key, String fallback) {
            Object value = raw.get(key);
            if (value == null) {
                return fallback;
            }
            if (!(value instanceof String text)) {
                problems.add(String.format("%s: '%s' must be a string, was %s", source, key, show(value)));
                return fallback;
            }
            return text;
        }

        void unsupportedIfTrue(String key, String why) {
            if (Boolean.TRUE.equals(raw.get(key))) {
                problems.add(String.format("%s: '%s' is true: %s", source, key, why));
            }
        }

        /**
         * rope_theta, or rope_parameters.rope_theta (transformers 5). RoPE scaling of the types the model
         * implements (default, linear, llama3) passes; their fields are checked when the model is built.
         */
        double ropeTheta() {
            Object scaling = raw.get("rope_scaling");
            if (scaling != null && !isSupportedRope(scaling)) {
                problems.add(String.format("%s: 'rope_scaling' %s is not supported (supported rope types: "
                        + "default, linear, llama3)", source, show(scaling)));
            }
            double theta = positiveDouble("rope_theta", 10000.0);
            Object parameters = raw.get("rope_parameters");
            if (parameters instanceof Map<?, ?> map) {
                if (!isSupportedRope(map)) {
                    problems.add(String.format("%s: 'rope_parameters' %s is not supported (supported rope "
                            + "types: default, linear, llama3)", source, show(map)));
                }
                Object nested = map.get("rope_theta");
                if (nested instanceof Number number && number.doubleValue() > 0 && !raw.containsKey("rope_theta")) {
                    theta = number.doubleValue();
                }
            } else if (parameters != null) {
                problems.add(String.format("%s: 'rope_parameters' must be an object, was %s", source, show(parameters)));
            }
            return theta;
        }

        private static boolean isSupportedRope(Object value) {
            if (!(value instanceof Map<?, ?> map)) {
                return false;
            }
            Object type = map.containsKey("rope_type") ? map.get("rope_type") : map.get("type");
            return type == null || "default".equals(type) || "linear".equals(type) || "llama3".equals(type);
        }

        void checkHeads(int hidden, String hiddenKey, int heads, String headsKey, int kvHeads, String kvKey) {
            if (hidden <= 0 || heads <= 0 || kvHeads <= 0) {
                return; // already reported
            }
            if (hidden % heads != 0) {
                problems.add(String.format("%s: '%s' %d is not divisible by '%s' %d",
                        source, hiddenKey, hidden, headsKey, heads));
                return;
            }
            if (heads % kvHeads != 0) {
                problems.add(String.format("%s: '%s' %d is not divisible by '%s' %d",
                        source, headsKey, heads, kvKey, kvHeads));
            }
            Object headDim = raw.get("head_dim");
            if (headDim != null && !(headDim instanceof Number number && number.doubleValue() == hidden / heads)) {
                problems.add(String.format("%s: 'head_dim' %s differs from %s / %s = %d; not supported",
                        source, show(headDim), hiddenKey, headsKey, hidden / heads));
            }
        }

        private static String show(Object value) {
            if (value instanceof String text) {
                return "\"" + text + "\"";
            }
            try {
                return JSON.writeValueAsString(value);
            } catch (JsonProcessingException e) {
                return String.valueOf(value);
            }
        }
    }
}
