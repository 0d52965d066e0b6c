package io.finetune4j.runtime.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.CheckpointWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes real tokenizer files for tests and tiny models, without a model hub. */
public final class TokenizerFiles {
    /** transformers' {@code VERY_LARGE_INTEGER}, its "no limit" for model_max_length. */
    private static final BigInteger NO_MAX_LENGTH = new BigInteger("1000000000000000019884624838656");

    private TokenizerFiles() {}

    /**
     * Writes a valid byte-level BPE tokenizer.json (256 byte tokens + the given special tokens,
     * optional merges) and tokenizer_config.json into dir: a real tokenizer for tests and tiny models.
     *
     * <p>Ids 0..255 are the bytes (GPT-2's byte characters, in byte order), then one id per merge result
     * that is new, then the special tokens in order. {@code bosToken} (prepended by
     * {@code encode(text, true)}), {@code eosToken} and {@code padToken} may be null; when set they must
     * be among {@code specialTokens}.
     *
     * @param merges GPT-2 style {@code "left right"} pairs over byte characters (a space is {@code Ġ})
     */
    public static void writeByteLevel(Path dir, List<String> specialTokens, List<String> merges,
                                      String bosToken, String eosToken, String padToken) {
        List<String> specials = specialTokens == null ? List.of() : specialTokens;
        List<String> mergeList = merges == null ? List.of() : merges;
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(ByteLevelBpe.BYTE_TO_CHAR[b], b);
        }
        List<String> normalizedMerges = new ArrayList<>();
        for (String merge : mergeList) {
            String[] parts = merge.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException("merge '" + merge + "' must be two symbols separated by one space");
            }
            for (String part : parts) {
                if (!vocab.containsKey(part)) {
                    throw new IllegalArgumentException("merge '" + merge + "': '" + part
                            + "' is neither a byte character nor the result of an earlier merge");
                }
            }
            vocab.putIfAbsent(parts[0] + parts[1], vocab.size());
            normalizedMerges.add(merge);
        }
        List<ByteLevelBpe.AddedToken> added = new ArrayList<>();
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        for (String token : specials) {
            if (token == null || token.isEmpty() || specialIds.containsKey(token) || vocab.containsKey(token)) {
                throw new IllegalArgumentException("special token '" + token + "' is empty, repeated or already a token");
            }
            int id = vocab.size() + specialIds.size();
            specialIds.put(token, id);
            added.add(new ByteLevelBpe.AddedToken(id, token, true));
        }
        for (String token : new String[] {bosToken, eosToken, padToken}) {
            if (token != null && !specialIds.containsKey(token)) {
                throw new IllegalArgumentException("'" + token + "' must be one of the special tokens " + specials);
            }
        }
        ObjectNode tokenizer = ByteLevelBpe.tokenizerJson(vocab, normalizedMerges, added, false,
                bosToken, bosToken == null ? null : specialIds.get(bosToken), null);

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_bos_token", bosToken != null);
        config.put("add_eos_token", false);
        config.put("bos_token", bosToken);
        config.put("eos_token", eosToken);
        config.put("pad_token", padToken);
        config.put("unk_token", null);
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", NO_MAX_LENGTH);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        Map<String, Object> decoder = new LinkedHashMap<>();
        for (ByteLevelBpe.AddedToken token : added) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("content", token.content());
            entry.put("lstrip", false);
            entry.put("normalized", false);
            entry.put("rstrip", false);
            entry.put("single_word", false);
            entry.put("special", true);
            decoder.put(String.valueOf(token.id()), entry);
        }
        config.put("added_tokens_decoder", decoder);

        byte[] tokenizerJson;
        try {
            tokenizerJson = ByteLevelBpe.JSON.writeValueAsString(tokenizer).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise tokenizer.json", e);
        }
        byte[] configJson = CheckpointWriter.prettyJson(config);
        AtomicFiles.writeAtomically(dir.resolve("tokenizer.json"), temp -> Files.write(temp, tokenizerJson));
        AtomicFiles.writeAtomically(dir.resolve("tokenizer_config.json"), temp -> Files.write(temp, configJson));
    }
}
