package io.finetune4j.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BOS, EOS and pad of a checkpoint. Token texts come from tokenizer_config.json (then
 * special_tokens_map.json), ids from generation_config.json, and config.json only when neither says.
 * EOS ids are the union of the first two, in that order; pad falls back to the first EOS id, then 0.
 */
record SpecialTokens(OptionalLong bosId, long[] eosIds, long padId, String bosToken, String eosToken,
                     String padToken) {
    private static final Logger LOG = LoggerFactory.getLogger(SpecialTokens.class);

    /** What the files declare, before token texts are turned into ids. */
    record Declared(Path tokenizerConfigFile, Optional<String> bosText, Optional<String> eosText,
                    Optional<String> padText, List<Long> generationBos, List<Long> generationEos,
                    List<Long> generationPad, List<Long> modelBos, List<Long> modelEos, List<Long> modelPad) {

        /** Token texts whose ids are needed. */
        Set<String> texts() {
            Set<String> texts = new LinkedHashSet<>();
            Stream.of(bosText, eosText, padText).forEach(text -> text.ifPresent(texts::add));
            return texts;
        }

        /** Ids whose token texts may be needed. */
        Set<Long> ids() {
            Set<Long> ids = new LinkedHashSet<>();
            Stream.of(generationBos, generationEos, generationPad, modelBos, modelEos, modelPad).forEach(ids::addAll);
            return ids;
        }

        SpecialTokens resolve(TokenLookup lookup) {
            OptionalLong bos = idOf(bosText, lookup, "bos_token");
            if (bos.isEmpty()) {
                bos = first(generationBos, modelBos);
            }
            Set<Long> eos = new LinkedHashSet<>();
            idOf(eosText, lookup, "eos_token").ifPresent(eos::add);
            eos.addAll(generationEos);
            if (eos.isEmpty()) {
                eos.addAll(modelEos);
            }
            long[] eosIds = eos.stream().mapToLong(Long::longValue).toArray();
            OptionalLong pad = idOf(padText, lookup, "pad_token");
            if (pad.isEmpty()) {
                pad = first(generationPad, modelPad);
            }
            long padId = pad.isPresent() ? pad.getAsLong() : eosIds.length > 0 ? eosIds[0] : 0;
            OptionalLong firstEos = eosIds.length > 0 ? OptionalLong.of(eosIds[0]) : OptionalLong.empty();
            return new SpecialTokens(bos, eosIds, padId, tokenText(bosText, bos, lookup),
                    tokenText(eosText, firstEos, lookup), tokenText(padText, pad, lookup));
        }

        private OptionalLong idOf(Optional<String> token, TokenLookup lookup, String key) {
            if (token.isEmpty()) {
                return OptionalLong.empty();
            }
            OptionalLong id = lookup.id(token.get());
            if (id.isEmpty()) {
                LOG.warn("{}: {} '{}' is not in the tokenizer's vocabulary; ignored", tokenizerConfigFile, key, token.get());
            }
            return id;
        }
    }

    /** Reads the declarations of tokenizer_config.json, special_tokens_map.json, generation_config.json, config.json. */
    static Declared declared(Path dir, JsonNode tokenizerConfig) {
        JsonNode specialMap = TokenizerJsonFiles.readOptional(dir.resolve("special_tokens_map.json"));
        JsonNode generation = TokenizerJsonFiles.readOptional(dir.resolve("generation_config.json"));
        JsonNode model = TokenizerJsonFiles.readOptional(dir.resolve("config.json"));
        return new Declared(dir.resolve("tokenizer_config.json"),
                text(tokenizerConfig, specialMap, "bos_token"),
                text(tokenizerConfig, specialMap, "eos_token"),
                text(tokenizerConfig, specialMap, "pad_token"),
                ids(generation, "bos_token_id"), ids(generation, "eos_token_id"), ids(generation, "pad_token_id"),
                ids(model, "bos_token_id"), ids(model, "eos_token_id"), ids(model, "pad_token_id"));
    }

    /** A token's text: a string, or an AddedToken object {@code {"content": ...}}; null means none. */
    static Optional<String> text(JsonNode primary, JsonNode secondary, String key) {
        for (JsonNode config : new JsonNode[] {primary, secondary}) {
            JsonNode node = config == null ? null : config.get(key);
            if (node == null || node.isNull()) {
                continue;
            }
            if (node.isTextual()) {
                return Optional.of(node.textValue());
            }
            JsonNode content = node.get("content");
            if (content != null && content.isTextual()) {
                return Optional.of(content.textValue());
            }
        }
        return Optional.empty();
    }

    /** The declared text, else the text of the id the other files gave. */
    private static String tokenText(Optional<String> declared, OptionalLong id, TokenLookup lookup) {
        if (declared.isPresent()) {
            return declared.get();
        }
        return id.isPresent() ? lookup.token(id.getAsLong()).orElse(null) : null;
    }

    /** An id field that is an int or a list of ints; negative ids (-1 = none) are dropped. */
    private static List<Long> ids(JsonNode config, String key) {
        List<Long> ids = new ArrayList<>();
        JsonNode node = config == null ? null : config.get(key);
        if (node == null) {
            return ids;
        }
        for (JsonNode item : node.isArray() ? node : List.of(node)) {
            if (item.isIntegralNumber() && item.canConvertToLong() && item.longValue() >= 0) {
                ids.add(item.longValue());
            }
        }
        return ids;
    }

    private static OptionalLong first(List<Long> preferred, List<Long> fallback) {
        if (!preferred.isEmpty()) {
            return OptionalLong.of(preferred.get(0));
        }
        return fallback.isEmpty() ? OptionalLong.empty() : OptionalLong.of(fallback.get(0));
    }
}
