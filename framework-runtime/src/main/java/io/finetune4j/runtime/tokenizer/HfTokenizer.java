package io.finetune4j.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.TextTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A Hugging Face tokenizer read from a checkpoint directory, offline, through DJL's binding of the
 * tokenizers library. Special tokens come from tokenizer_config.json (then special_tokens_map.json),
 * generation_config.json, and config.json as the last fallback. A directory with GPT-2's
 * {@code vocab.json} + {@code merges.txt} but no {@code tokenizer.json} gets the equivalent byte-level
 * BPE tokenizer built in memory.
 *
 * <p>Truncation and padding are off: callers decide how long sequences may be (DJL's default silently
 * truncates at 512 tokens).
 */
@Stable
public final class HfTokenizer implements TextTokenizer, AutoCloseable {
    /** Max length handed to DJL so it never falls back to its 512-token default; truncation stays off. */
    private static final String NO_LIMIT = String.valueOf(1 << 30);

    private final HuggingFaceTokenizer tokenizer;
    private final Path dir;
    private final int vocabSize;
    private final SpecialTokens special;
    private final String chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path dir, int vocabSize, SpecialTokens special,
                        String chatTemplate) {
        this.tokenizer = tokenizer;
        this.dir = dir;
        this.vocabSize = vocabSize;
        this.special = special;
        this.chatTemplate = chatTemplate;
    }

    /** Loads tokenizer.json (or vocab.json + merges.txt) + tokenizer_config.json + generation_config.json of {@code dir}. */
    public static HfTokenizer load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(dir + ": tokenizer directory not found");
        }
        JsonNode tokenizerConfig = TokenizerJsonFiles.readOptional(dir.resolve("tokenizer_config.json"));
        byte[] jsonBytes;
        String origin;
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) {
            jsonBytes = TokenizerJsonFiles.readBytes(tokenizerJson);
            origin = tokenizerJson.toString();
        } else if (Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) {
            jsonBytes = TokenizerJsonFiles.fromVocabAndMerges(dir, tokenizerConfig).getBytes(StandardCharsets.UTF_8);
            origin = dir.resolve("vocab.json") + " + merges.txt";
        } else {
            String hint = Files.exists(dir.resolve("tokenizer.model"))
                    ? " (only a SentencePiece tokenizer.model is there; save it as tokenizer.json with transformers: "
                      + "AutoTokenizer.from_pretrained(dir).save_pretrained(dir))"
                    : "";
            throw new ConfigException(dir + ": no tokenizer found; looked for tokenizer.json, and for vocab.json"
                    + " + merges.txt" + hint);
        }
        SpecialTokens.Declared declared = SpecialTokens.declared(dir, tokenizerConfig);
        TokenLookup lookup = TokenLookup.scan(jsonBytes, origin, declared.texts(), declared.ids());
        SpecialTokens special = declared.resolve(lookup);
        String chatTemplate = TokenizerJsonFiles.chatTemplate(dir, tokenizerConfig);
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(jsonBytes),
                    Map.of("addSpecialTokens", "true",
                            "truncation", "false",
                            "padding", "false",
                            "maxLength", NO_LIMIT,
                            "modelMaxLength", NO_LIMIT));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(origin + ": the tokenizers library cannot load it: " + e.getMessage(), e);
        }
        return new HfTokenizer(tokenizer, dir, lookup.vocabSize(), special, chatTemplate);
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    /** Ids outside the vocabulary (a model's padded embedding rows) are skipped, as transformers does. */
    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        for (long id : ids) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id + " in " + Arrays.toString(ids));
            }
        }
        long[] known = Arrays.stream(ids).filter(id -> id < vocabSize).toArray();
        return tokenizer.decode(known, skipSpecialTokens);
    }

    /** Number of ids: the model vocabulary plus added tokens (transformers' {@code len(tokenizer)}). */
    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalLong bosTokenId() {
        return special.bosId();
    }

    @Override
    public long[] eosTokenIds() {
        return special.eosIds().clone();
    }

    @Override
    public long padTokenId() {
        return special.padId();
    }

    @Override
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The BOS token's text, e.g. {@code <s>}, as chat templates use it. */
    public Optional<String> bosToken() {
        return Optional.ofNullable(special.bosToken());
    }

    /** The first EOS token's text, e.g. {@code </s>}. */
    public Optional<String> eosToken() {
        return Optional.ofNullable(special.eosToken());
    }

    /** The pad token's text, when one is declared. */
    public Optional<String> padToken() {
        return Optional.ofNullable(special.padToken());
    }

    /** Every id that ends generation, as a set. */
    public Set<Long> eosTokenIdSet() {
        Set<Long> ids = new LinkedHashSet<>();
        Arrays.stream(special.eosIds()).forEach(ids::add);
        return ids;
    }

    /** The directory this tokenizer was read from. */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + dir + ", vocab " + vocabSize + "]";
    }

    /** Reads a JSON text, naming the file on failure. */
    static JsonNode parseJson(String text, String origin) {
        try {
            JsonNode node = ByteLevelBpe.JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw new ConfigException(origin + ": must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(origin + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
