package io.finetune4j.runtime.gguf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a llama.cpp GGUF file of a Llama model (F32/F16/BF16 tensors, SentencePiece vocabulary) into a
 * Hugging Face checkpoint directory: {@code config.json}, {@code model.safetensors} with Hugging Face
 * tensor names, and a Llama-style {@code tokenizer.json} with its {@code tokenizer_config.json} and
 * {@code generation_config.json}. The inverse of llama.cpp's {@code convert_hf_to_gguf.py} for Llama.
 */
public final class GgufToHf {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte. */
    private static final int TYPE_NORMAL = 1;
    private static final int TYPE_UNKNOWN = 2;
    private static final int TYPE_CONTROL = 3;

    /** A converted tensor: row-major shape and values. */
    record HfTensor(long[] shape, float[] values) {}

    private GgufToHf() {}

    /** Writes the Hugging Face checkpoint of {@code ggufFile} into {@code dir} (created if needed). */
    public static void convert(Path ggufFile, Path dir) {
        GgufReader gguf = GgufReader.open(ggufFile);
        Map<String, HfTensor> tensors = hfTensors(gguf);
        boolean tied = !tensors.containsKey("lm_head.weight");
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("config.json").toFile(), config(gguf, tied));
            writeTokenizer(gguf, dir);
        } catch (IOException e) {
            throw new ConfigException(dir + ": cannot write the converted checkpoint: " + e.getMessage(), e);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            Map<String, DataType> types = new LinkedHashMap<>();
            tensors.forEach((name, tensor) -> {
                arrays.put(name, manager.create(tensor.values(), new Shape(tensor.shape())));
                types.put(name, DataType.FLOAT32);
            });
            SafetensorsWriter.write(dir.resolve("model.safetensors"), arrays, types, Map.of("format", "pt"));
        }
    }

    /**
     * The model's tensors under Hugging Face names, in Hugging Face layout. q and k rows are taken back
     * from llama.cpp's interleaved-pair RoPE order to Hugging Face's half-rotation order; the classifier
     * is dropped when it equals the embedding (a tied model).
     */
    static Map<String, HfTensor> hfTensors(GgufReader gguf) {
        String architecture = gguf.getString("general.architecture");
        if (!architecture.equals("llama")) {
            throw new ConfigException(gguf.file() + ": general.architecture is '" + architecture + "'; only 'llama' converts");
        }
        int heads = (int) gguf.getLong("llama.attention.head_count");
        int kvHeads = gguf.has("llama.attention.head_count_kv") ? (int) gguf.getLong("llama.attention.head_count_kv") : heads;
        int hidden = (int) gguf.getLong("llama.embedding_length");
        if (gguf.has("llama.rope.dimension_count") && gguf.getLong("llama.rope.dimension_count") != hidden / heads) {
            throw new ConfigException(gguf.file() + ": partial rotary (llama.rope.dimension_count "
                    + gguf.getLong("llama.rope.dimension_count") + " < head dim " + hidden / heads + ") is not supported");
        }
        Map<String, HfTensor> out = new LinkedHashMap<>();
        HfTensor embedding = read(gguf, "token_embd.weight");
        out.put("model.embed_tokens.weight", embedding);
        int layers = (int) gguf.getLong("llama.block_count");
        for (int l = 0; l < layers; l++) {
            String from = "blk." + l + ".";
            String to = "model.layers." + l + ".";
            out.put(to + "self_attn.q_proj.weight", unpermuted(read(gguf, from + "attn_q.weight"), heads));
            out.put(to + "self_attn.k_proj.weight", unpermuted(read(gguf, from + "attn_k.weight"), kvHeads));
            out.put(to + "self_attn.v_proj.weight", read(gguf, from + "attn_v.weight"));
            out.put(to + "self_attn.o_proj.weight", read(gguf, from + "attn_output.weight"));
            out.put(to + "mlp.gate_proj.weight", read(gguf, from + "ffn_gate.weight"));
            out.put(to + "mlp.up_proj.weight", read(gguf, from + "ffn_up.weight"));
            out.put(to + "mlp.down_proj.weight", read(gguf, from + "ffn_down.weight"));
            out.put(to + "input_layernorm.weight", read(gguf, from + "attn_norm.weight"));
            out.put(to + "post_attention_layernorm.weight", read(gguf, from + "ffn_norm.weight"));
        }
        out.put("model.norm.weight", read(gguf, "output_norm.weight"));
        if (gguf.tensors().containsKey("output.weight")) {
            HfTensor classifier = read(gguf, "output.weight");
            if (!Arrays.equals(classifier.values(), embedding.values())) {
                out.put("lm_head.weight", classifier);
            }
        }
        List<String> unused = new ArrayList<>(gguf.tensors().keySet());
        unused.removeAll(List.of("token_embd.weight", "output_norm.weight", "output.weight"));
        unused.removeIf(name -> name.matches("blk\\.\\d+\\.(attn_(q|k|v|output|norm)|ffn_(gate|up|down|norm))\\.weight"));
        if (!unused.isEmpty()) {
            throw new ConfigException(gguf.file() + ": tensors without a Hugging Face counterpart: " + unused);
        }
        return out;
    }

    /**
     * Undoes llama.cpp's {@code LlamaModel.permute} (convert_hf_to_gguf.py), which turns Hugging Face's
     * half-rotation rows into interleaved pairs:
     * {@code w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)}.
     * So GGUF row {@code h·d + 2j + t} is Hugging Face row {@code h·d + t·d/2 + j} ({@code d} = head dim,
     * {@code t} ∈ {0, 1}), which is transformers' {@code convert_llama_weights_to_hf.py} permute.
     *
     * @param w row-major {@code [rows, cols]}; {@code heads} is num_key_value_heads for k
     */
    static float[] unpermute(float[] w, int rows, int cols, int heads) {
        if (rows % (2 * heads) != 0 || w.length != (long) rows * cols) {
            throw new IllegalArgumentException("cannot unpermute [" + rows + ", " + cols + "] over " + heads + " heads");
        }
        int headDim = rows / heads;
        int half = headDim / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int t = 0; t < 2; t++) {
                    int gguf = h * headDim + 2 * j + t;
                    int hf = h * headDim + t * half + j;
                    System.arraycopy(w, gguf * cols, out, hf * cols, cols);
                }
            }
        }
        return out;
    }

    static Map<String, Object> config(GgufReader gguf, boolean tied) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("LlamaForCausalLM"));
        config.put("model_type", "llama");
        config.put("vocab_size", gguf.getArray("tokenizer.ggml.tokens").size());
        config.put("hidden_size", gguf.getLong("llama.embedding_length"));
        config.put("intermediate_size", gguf.getLong("llama.feed_forward_length"));
        config.put("num_hidden_layers", gguf.getLong("llama.block_count"));
        long heads = gguf.getLong("llama.attention.head_count");
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads",
                gguf.has("llama.attention.head_count_kv") ? gguf.getLong("llama.attention.head_count_kv") : heads);
        config.put("max_position_embeddings", gguf.getLong("llama.context_length"));
        // GGUF stores eps as f32; its shortest decimal (1.0E-5) is what the HF config had.
        config.put("rms_norm_eps", shortestDecimal(gguf.getDouble("llama.attention.layer_norm_rms_epsilon")));
        config.put("rope_theta", shortestDecimal(gguf.getDouble("llama.rope.freq_base", 10000.0)));
        config.put("hidden_act", "silu");
        config.put("attention_bias", false);
        config.put("tie_word_embeddings", tied);
        config.put("bos_token_id", gguf.getLong("tokenizer.ggml.bos_token_id"));
        config.put("eos_token_id", gguf.getLong("tokenizer.ggml.eos_token_id"));
        config.put("torch_dtype", "float32");
        return config;
    }

    private static double shortestDecimal(double value) {
        return Double.parseDouble(Float.toString((float) value));
    }

    /**
     * Writes a Llama-style (SentencePiece BPE with byte fallback) {@code tokenizer.json} as transformers'
     * {@code LlamaConverter} builds it: merges from {@code SentencePieceExtractor} (every split of a piece
     * into two pieces of the vocabulary, ordered by the piece's score), {@code ▁} prepended and spaces
     * replaced on the way in, the reverse plus byte fallback and one stripped leading space on the way out.
     */
    static void writeTokenizer(GgufReader gguf, Path dir) throws IOException {
        List<String> pieces = gguf.getArray("tokenizer.ggml.tokens").stream().map(String.class::cast).toList();
        List<?> scores = gguf.getArray("tokenizer.ggml.scores");
        List<?> types = gguf.getArray("tokenizer.ggml.token_type");
        int bos = (int) gguf.getLong("tokenizer.ggml.bos_token_id");
        int eos = (int) gguf.getLong("tokenizer.ggml.eos_token_id");
        int unk = gguf.has("tokenizer.ggml.unknown_token_id") ? (int) gguf.getLong("tokenizer.ggml.unknown_token_id") : 0;

        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < pieces.size(); id++) {
            vocab.put(pieces.get(id), id);
            int type = ((Number) types.get(id)).intValue();
            if (type == TYPE_CONTROL || type == TYPE_UNKNOWN) {
                Map<String, Object> token = new LinkedHashMap<>();
                token.put("id", id);
                token.put("content", pieces.get(id));
                token.put("single_word", false);
                token.put("lstrip", false);
                token.put("rstrip", false);
                token.put("normalized", false);
                token.put("special", true);
                added.add(token);
            }
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", pieces.get(unk));
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", merges(pieces, scores, types, vocab));

        Map<String, Object> tokenizer = new LinkedHashMap<>();
        tokenizer.put("version", "1.0");
        tokenizer.put("truncation", null);
        tokenizer.put("padding", null);
        tokenizer.put("added_tokens", added);
        tokenizer.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        tokenizer.put("pre_tokenizer", null);
        String bosPiece = pieces.get(bos);
        tokenizer.put("post_processor", Map.of(
                "type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", bosPiece, "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(Map.of("SpecialToken", Map.of("id", bosPiece, "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                        Map.of("SpecialToken", Map.of("id", bosPiece, "type_id", 1)),
                        Map.of("Sequence", Map.of("id", "B", "type_id", 1))),
                "special_tokens", Map.of(bosPiece, Map.of("id", bosPiece, "ids", List.of(bos), "tokens", List.of(bosPiece)))));
        tokenizer.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"),
                Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        tokenizer.put("model", model);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);

        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("add_bos_token", true);
        tokenizerConfig.put("add_eos_token", false);
        tokenizerConfig.put("bos_token", bosPiece);
        tokenizerConfig.put("eos_token", pieces.get(eos));
        tokenizerConfig.put("unk_token", pieces.get(unk));
        tokenizerConfig.put("clean_up_tokenization_spaces", false);
        tokenizerConfig.put("legacy", true);
        tokenizerConfig.put("model_max_length", gguf.getLong("llama.context_length"));
        tokenizerConfig.put("tokenizer_class", "LlamaTokenizer");
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        JSON.writeValue(dir.resolve("generation_config.json").toFile(),
                Map.of("bos_token_id", bos, "eos_token_id", eos));
    }

    /**
     * transformers' {@code SentencePieceExtractor.extract}: for each normal piece, every split into two
     * pieces of the vocabulary (ordered by their ids), then all merges stably sorted by the piece's score,
     * highest first. Returned as {@code "left right"} strings.
     */
    static List<String> merges(List<String> pieces, List<?> scores, List<?> types, Map<String, Integer> vocab) {
        record Merge(String left, String right, double score) {}
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < pieces.size(); id++) {
            if (((Number) types.get(id)).intValue() != TYPE_NORMAL) {
                continue;
            }
            String piece = pieces.get(id);
            double score = ((Number) scores.get(id)).doubleValue();
            List<Merge> local = new ArrayList<>();
            int[] codePoints = piece.codePoints().toArray();
            for (int split = 1; split < codePoints.length; split++) {
                String left = new String(codePoints, 0, split);
                String right = new String(codePoints, split, codePoints.length - split);
                if (vocab.containsKey(left) && vocab.containsKey(right)) {
                    local.add(new Merge(left, right, score));
                }
            }
            local.sort(Comparator.<Merge>comparingInt(m -> vocab.get(m.left())).thenComparingInt(m -> vocab.get(m.right())));
            merges.addAll(local);
        }
        merges.sort(Comparator.comparingDouble(Merge::score).reversed());
        return merges.stream().map(m -> m.left() + " " + m.right()).toList();
    }

    /** Reads one GGUF tensor in row-major order. */
    private static HfTensor read(GgufReader gguf, String name) {
        return new HfTensor(gguf.tensor(name).shape(), gguf.readFloats(name));
    }

    private static HfTensor unpermuted(HfTensor tensor, int heads) {
        long[] shape = tensor.shape();
        if (shape.length != 2) {
            throw new ConfigException("expected a 2-D q/k weight, got shape " + Arrays.toString(shape));
        }
        return new HfTensor(shape, unpermute(tensor.values(), (int) shape[0], (int) shape[1], heads));
    }
}
