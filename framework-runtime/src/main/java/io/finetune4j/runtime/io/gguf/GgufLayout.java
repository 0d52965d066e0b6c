package io.finetune4j.runtime.io.gguf;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model family's Hugging Face tensors become llama.cpp's, and back: the GGUF architecture name, tensor names
 * ({@code model.layers.3.self_attn.q_proj.weight} is {@code blk.3.attn_q.weight}) and layouts, as
 * {@code convert_hf_to_gguf.py} writes them.
 *
 * <ul>
 *   <li>{@code llama} (model types llama and mistral, both {@code LlamaModel} there): the rows of q_proj and
 *       k_proj (weights and biases) are permuted by {@link #permute} with {@code n_head} resp. {@code n_head_kv},
 *       because llama.cpp applies rotary embeddings to adjacent pairs where transformers rotates halves.</li>
 *   <li>{@code qwen2}, {@code qwen3}: llama.cpp runs these with NeoX-style (half-rotating) RoPE, so the weights
 *       keep their order; qwen2's q/k/v biases and qwen3's {@code attn_q_norm} / {@code attn_k_norm} map by name.</li>
 *   <li>{@code gpt2}: Conv1D weights stored {@code [in, out]} are transposed to {@code [out, in]}, and a tied head
 *       is written again as {@code output.weight}, as {@code GPT2Model.modify_tensors} does.</li>
 * </ul>
 */
public final class GgufLayout {
    private static final Pattern BLOCK = Pattern.compile("^(?:model\\.|transformer\\.)?(?:layers|h)\\.(\\d+)\\.(.+)$");
    private static final Pattern GGUF_BLOCK = Pattern.compile("^blk\\.(\\d+)\\.(.+)$");
    private static final Map<String, String> LLAMA_BLOCK = table(
            "input_layernorm", "attn_norm",
            "self_attn.q_proj", "attn_q",
            "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v",
            "self_attn.o_proj", "attn_output",
            "self_attn.q_norm", "attn_q_norm",
            "self_attn.k_norm", "attn_k_norm",
            "post_attention_layernorm", "ffn_norm",
            "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down");
    private static final Map<String, String> LLAMA_GLOBAL = table(
            "model.embed_tokens", "token_embd",
            "model.norm", "output_norm",
            "lm_head", "output");
    private static final Map<String, String> GPT2_BLOCK = table(
            "ln_1", "attn_norm",
            "attn.c_attn", "attn_qkv",
            "attn.c_proj", "attn_output",
            "ln_2", "ffn_norm",
            "mlp.c_fc", "ffn_up",
            "mlp.c_proj", "ffn_down");
    private static final Map<String, String> GPT2_GLOBAL = table(
            "transformer.wte", "token_embd",
            "transformer.wpe", "position_embd",
            "transformer.ln_f", "output_norm",
            "lm_head", "output");
    /** The model types this layout exports, by GGUF architecture. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("llama", "mistral", "qwen2", "qwen3", "gpt2");

    private final ModelConfig config;
    private final String architecture;
    private final Map<String, String> block;
    private final Map<String, String> global;
    private final String blockPrefix;

    private GgufLayout(ModelConfig config, String architecture) {
        this.config = config;
        this.architecture = architecture;
        boolean gpt2 = architecture.equals("gpt2");
        this.block = gpt2 ? GPT2_BLOCK : LLAMA_BLOCK;
        this.global = gpt2 ? GPT2_GLOBAL : LLAMA_GLOBAL;
        this.blockPrefix = gpt2 ? "transformer.h." : "model.layers.";
    }

    /**
     * The layout of {@code config}'s model type.
     *
     * @throws ConfigException naming the model type and the supported ones
     */
    public static GgufLayout of(ModelConfig config) {
        String architecture = switch (config.modelType()) {
            case "llama", "mistral" -> "llama";
            case "qwen2" -> "qwen2";
            case "qwen3" -> "qwen3";
            case "gpt2" -> "gpt2";
            default -> throw new ConfigException("GGUF export: model_type '" + config.modelType()
                    + "' is not supported; supported: " + SUPPORTED_MODEL_TYPES);
        };
        return new GgufLayout(config, architecture);
    }

    /** llama.cpp's architecture name: {@code llama}, {@code qwen2}, {@code qwen3} or {@code gpt2}. */
    public String architecture() {
        return architecture;
    }

    /** True when q/k rows are permuted ({@code llama} architecture). */
    public boolean permutesQueryKey() {
        return architecture.equals("llama");
    }

    /** The GGUF name of a Hugging Face tensor; a {@link ConfigException} names one this layout does not know. */
    public String ggufName(String hfName) {
        String[] split = splitSuffix(hfName);
        Matcher matcher = BLOCK.matcher(split[0]);
        String mapped;
        if (matcher.matches()) {
            String module = block.get(matcher.group(2));
            mapped = module == null ? null : "blk." + matcher.group(1) + "." + module;
        } else {
            // a bare LlamaModel / GPT2Model has no "model." / "transformer." prefix
            String name = split[0];
            mapped = global.getOrDefault(name, global.get((architecture.equals("gpt2") ? "transformer." : "model.") + name));
        }
        if (mapped == null) {
            throw new ConfigException("GGUF export: tensor " + hfName + " has no llama.cpp name in the "
                    + architecture + " architecture");
        }
        return mapped + split[1];
    }

    /** The Hugging Face name of a GGUF tensor, with the {@code model.} / {@code transformer.} prefix; empty if none. */
    public Optional<String> hfName(String ggufName) {
        String[] split = splitSuffix(ggufName);
        Matcher matcher = GGUF_BLOCK.matcher(split[0]);
        if (matcher.matches()) {
            return inverse(block, matcher.group(2)).map(module -> blockPrefix + matcher.group(1) + "." + module + split[1]);
        }
        return inverse(global, split[0]).map(name -> name + split[1]);
    }

    /** The GGUF shape of a Hugging Face tensor of {@code shape}: transposed for GPT-2's Conv1D weights. */
    public long[] ggufShape(String hfName, long[] shape) {
        return transposed(hfName) ? new long[] {shape[1], shape[0]} : shape.clone();
    }

    /** {@code values} (row-major, Hugging Face layout of {@code shape}) in llama.cpp's layout. */
    public float[] toGguf(String hfName, long[] shape, float[] values) {
        if (transposed(hfName)) {
            return transpose(values, (int) shape[0], (int) shape[1]);
        }
        int heads = permuteHeads(hfName);
        return heads > 0 ? permute(values, rows(shape), columns(shape), heads) : values;
    }

    /** The inverse of {@link #toGguf}: {@code values} in llama.cpp's layout back to Hugging Face's {@code shape}. */
    public float[] fromGguf(String hfName, long[] shape, float[] values) {
        if (transposed(hfName)) {
            return transpose(values, (int) shape[1], (int) shape[0]);
        }
        int heads = permuteHeads(hfName);
        return heads > 0 ? unpermute(values, rows(shape), columns(shape), heads) : values;
    }

    /**
     * {@code LlamaModel.permute(w, n_head, n_head_kv)} of convert_hf_to_gguf.py on a row-major {@code [rows, cols]}
     * matrix (a bias has one column): {@code w.reshape(n, 2, rows / n / 2, cols).swapaxes(1, 2).reshape(rows, cols)}.
     * Output row {@code h*2*half + i*2 + j} is input row {@code h*2*half + j*half + i}.
     *
     * @param heads the {@code n} of the reshape ({@code n_head_kv} for k_proj when it differs)
     */
    public static float[] permute(float[] values, int rows, int cols, int heads) {
        return reorder(values, rows, cols, heads, false);
    }

    /** The inverse of {@link #permute}. */
    public static float[] unpermute(float[] values, int rows, int cols, int heads) {
        return reorder(values, rows, cols, heads, true);
    }

    private static float[] reorder(float[] values, int rows, int cols, int heads, boolean inverse) {
        if (rows % (2 * heads) != 0) {
            throw new IllegalArgumentException("cannot permute " + rows + " rows over " + heads + " heads");
        }
        int half = rows / heads / 2;
        float[] out = new float[values.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int permuted = h * 2 * half + i * 2 + j;
                    int original = h * 2 * half + j * half + i;
                    int from = inverse ? permuted : original;
                    int to = inverse ? original : permuted;
                    System.arraycopy(values, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    private int permuteHeads(String hfName) {
        if (!permutesQueryKey()) {
            return 0;
        }
        if (hfName.endsWith("self_attn.q_proj.weight") || hfName.endsWith("self_attn.q_proj.bias")) {
            return config.numAttentionHeads();
        }
        if (hfName.endsWith("self_attn.k_proj.weight") || hfName.endsWith("self_attn.k_proj.bias")) {
            return config.numKeyValueHeads();
        }
        return 0;
    }

    /** GPT-2's Conv1D weights (not their biases), as {@code GPT2Model.modify_tensors} lists them. */
    private boolean transposed(String hfName) {
        return architecture.equals("gpt2") && (hfName.endsWith(".attn.c_attn.weight") || hfName.endsWith(".attn.c_proj.weight")
                || hfName.endsWith(".mlp.c_fc.weight") || hfName.endsWith(".mlp.c_proj.weight"));
    }

    private static int rows(long[] shape) {
        return Math.toIntExact(shape[0]);
    }

    private static int columns(long[] shape) {
        return shape.length == 1 ? 1 : Math.toIntExact(shape[1]);
    }

    static float[] transpose(float[] values, int rows, int cols) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = values[r * cols + c];
            }
        }
        return out;
    }

    private static String[] splitSuffix(String name) {
        for (String suffix : new String[] {".weight", ".bias"}) {
            if (name.endsWith(suffix)) {
                return new String[] {name.substring(0, name.length() - suffix.length()), suffix};
            }
        }
        return new String[] {name, ""};
    }

    private static Optional<String> inverse(Map<String, String> table, String ggufModule) {
        return table.entrySet().stream().filter(entry -> entry.getValue().equals(ggufModule)).map(Map.Entry::getKey)
                .findFirst();
    }

    private static Map<String, String> table(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
