package io.finetune4j.runtime.io.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} metadata of a byte-level BPE tokenizer (tokenizer.json of {@code "type": "BPE"}), as
 * convert_hf_to_gguf.py's {@code _set_vocab_gpt2} writes it: {@code tokenizer.ggml.model = gpt2}, one token per id
 * up to the model's vocab_size ({@code [PAD<i>]}, type UNUSED, for ids the tokenizer lacks), token types (CONTROL
 * for special added tokens and {@code <|...|>}, USER_DEFINED for other added tokens, NORMAL otherwise), the merges,
 * the special ids, {@code add_bos_token} / {@code add_eos_token}, and the chat template.
 *
 * <p>{@code tokenizer.ggml.pre} names llama.cpp's pre-tokenizer regex. convert_hf_to_gguf.py recognises it by
 * hashing the tokens of a probe text; this writer recognises the pre_tokenizer section of tokenizer.json instead:
 * a plain {@code ByteLevel} with {@code use_regex} is GPT-2's ({@code gpt2}), a Split with Llama-3's pattern is
 * {@code llama-bpe}, with Qwen2's {@code qwen2}; anything else is written as {@code default}.
 */
public final class GgufVocabulary {
    public static final int NORMAL = 1;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;

    static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufVocabulary() {}

    /**
     * The tokenizer metadata for a model of {@code vocabSize} ids, read from {@code tokenizer}'s directory.
     *
     * @throws ConfigException naming the file when it is not a byte-level BPE tokenizer.json or holds ids beyond
     *     {@code vocabSize}
     */
    public static Map<String, GgufValue> metadata(HfTokenizer tokenizer, int vocabSize) {
        Path file = tokenizer.dir().resolve("tokenizer.json");
        JsonNode root = readJson(file);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new ConfigException(file + ": model.type: GGUF export supports byte-level BPE tokenizers (\"BPE\"), "
                    + "was '" + model.path("type").asText() + "'");
        }
        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        Arrays.fill(types, UNUSED);
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            put(file, tokens, types, entry.getValue().asInt(-1), entry.getKey(), NORMAL);
        }
        for (JsonNode added : root.path("added_tokens")) {
            String content = added.path("content").asText();
            boolean special = added.path("special").asBoolean(false) || looksSpecial(content);
            put(file, tokens, types, added.path("id").asInt(-1), content, special ? CONTROL : USER_DEFINED);
        }
        for (int i = 0; i < vocabSize; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode merge : model.path("merges")) {
            // tokenizers writes "a b" strings, newer versions ["a", "b"] pairs
            merges.add(merge.isArray() ? merge.get(0).asText() + " " + merge.get(1).asText() : merge.asText());
        }
        JsonNode config = readOptional(tokenizer.dir().resolve("tokenizer_config.json"));

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        metadata.put("tokenizer.ggml.pre", GgufValue.string(preTokenizer(root.path("pre_tokenizer"))));
        metadata.put("tokenizer.ggml.tokens", GgufValue.stringArray(Arrays.asList(tokens)));
        metadata.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        metadata.put("tokenizer.ggml.merges", GgufValue.stringArray(merges));
        tokenizer.bosTokenId().ifPresent(id -> metadata.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(id)));
        long[] eos = tokenizer.eosTokenIds();
        if (eos.length > 0) {
            metadata.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eos[0]));
        }
        tokenizer.padToken().ifPresent(pad -> metadata.put("tokenizer.ggml.padding_token_id",
                GgufValue.uint32(tokenizer.padTokenId())));
        idOf(config, "unk_token", tokens).ifPresent(id -> metadata.put("tokenizer.ggml.unknown_token_id",
                GgufValue.uint32(id)));
        metadata.put("tokenizer.ggml.add_bos_token", GgufValue.bool(config != null
                ? config.path("add_bos_token").asBoolean(false) : tokenizer.bosTokenId().isPresent()));
        metadata.put("tokenizer.ggml.add_eos_token", GgufValue.bool(config != null && config.path("add_eos_token").asBoolean(false)));
        tokenizer.chatTemplate().ifPresent(template -> metadata.put("tokenizer.chat_template", GgufValue.string(template)));
        return metadata;
    }

    /** convert_hf_to_gguf.py's {@code does_token_look_special} for the texts a byte-level tokenizer may have. */
    static boolean looksSpecial(String token) {
        return token.equals("<pad>") || token.equals("<mask>") || (token.startsWith("<|") && token.endsWith("|>"));
    }

    static String preTokenizer(JsonNode pre) {
        if ("ByteLevel".equals(pre.path("type").asText()) && pre.path("use_regex").asBoolean(true)) {
            return "gpt2";
        }
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText())) {
            pre.path("pretokenizers").forEach(parts::add);
        } else {
            parts.add(pre);
        }
        for (JsonNode part : parts) {
            if ("Split".equals(part.path("type").asText())) {
                String regex = part.path("pattern").path("Regex").asText();
                if (regex.equals(LLAMA3_PATTERN)) {
                    return "llama-bpe";
                }
                if (regex.equals(QWEN2_PATTERN)) {
                    return "qwen2";
                }
            }
        }
        return "default";
    }

    private static void put(Path file, String[] tokens, int[] types, int id, String token, int type) {
        if (id < 0 || id >= tokens.length) {
            throw new ConfigException(String.format("%s: token '%s' has id %d, outside the model's vocab_size %d",
                    file, token, id, tokens.length));
        }
        tokens[id] = token;
        types[id] = type;
    }

    private static java.util.Optional<Long> idOf(JsonNode config, String key, String[] tokens) {
        if (config == null) {
            return java.util.Optional.empty();
        }
        JsonNode value = config.path(key);
        String text = value.isTextual() ? value.asText() : value.path("content").asText(null);
        if (text == null) {
            return java.util.Optional.empty();
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int i = tokens.length - 1; i >= 0; i--) {
            ids.put(tokens[i], i);
        }
        return java.util.Optional.ofNullable(ids.get(text)).map(Integer::longValue);
    }

    private static JsonNode readJson(Path file) {
        JsonNode node = readOptional(file);
        if (node == null) {
            throw new ConfigException(file + ": not found; GGUF export needs the tokenizer.json of the model");
        }
        return node;
    }

    private static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
