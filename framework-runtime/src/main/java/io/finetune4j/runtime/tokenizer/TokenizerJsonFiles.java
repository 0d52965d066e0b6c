package io.finetune4j.runtime.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading the JSON and text files around a tokenizer, each error naming its file. */
final class TokenizerJsonFiles {
    private TokenizerJsonFiles() {}

    static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The JSON object in {@code file}, or null when the file does not exist. */
    static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        return HfTokenizer.parseJson(readText(file), file.toString());
    }

    /** tokenizer_config.json's chat_template (a string, or a list of named templates), else chat_template.jinja. */
    static String chatTemplate(Path dir, JsonNode tokenizerConfig) {
        JsonNode template = tokenizerConfig == null ? null : tokenizerConfig.get("chat_template");
        if (template != null && template.isTextual()) {
            return template.textValue();
        }
        if (template != null && template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return named.path("template").textValue();
                }
            }
        }
        Path jinja = dir.resolve("chat_template.jinja");
        return Files.isRegularFile(jinja) ? readText(jinja) : null;
    }

    /**
     * The tokenizer.json transformers' GPT2Converter would make of {@code vocab.json} + {@code merges.txt}:
     * byte-level BPE, added tokens from tokenizer_config.json, BOS prepended when {@code add_bos_token}.
     */
    static String fromVocabAndMerges(Path dir, JsonNode tokenizerConfig) {
        Path vocabFile = dir.resolve("vocab.json");
        JsonNode vocabNode = HfTokenizer.parseJson(readText(vocabFile), vocabFile.toString());
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().canConvertToInt() || !entry.getValue().isIntegralNumber() || entry.getValue().intValue() < 0) {
                throw new ConfigException(String.format("%s: token '%s' must map to a non-negative integer id, was %s",
                        vocabFile, entry.getKey(), entry.getValue()));
            }
            vocab.put(entry.getKey(), entry.getValue().intValue());
        }
        List<String> merges = readMerges(dir.resolve("merges.txt"));

        List<ByteLevelBpe.AddedToken> added = new ArrayList<>();
        JsonNode decoder = tokenizerConfig == null ? null : tokenizerConfig.get("added_tokens_decoder");
        if (decoder != null && decoder.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String content = entry.getValue().path("content").asText(null);
                if (content != null && entry.getKey().matches("\\d{1,9}")) {
                    added.add(new ByteLevelBpe.AddedToken(Integer.parseInt(entry.getKey()), content,
                            entry.getValue().path("special").asBoolean(true)));
                }
            }
        } else {
            // Older checkpoints: the declared special tokens that the vocabulary holds.
            for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                SpecialTokens.text(tokenizerConfig, null, key).ifPresent(token -> {
                    Integer id = vocab.get(token);
                    if (id != null && added.stream().noneMatch(a -> a.content().equals(token))) {
                        added.add(new ByteLevelBpe.AddedToken(id, token, true));
                    }
                });
            }
        }
        boolean addPrefixSpace = tokenizerConfig != null && tokenizerConfig.path("add_prefix_space").asBoolean(false);
        String bos = null;
        Integer bosId = null;
        if (tokenizerConfig != null && tokenizerConfig.path("add_bos_token").asBoolean(false)) {
            bos = SpecialTokens.text(tokenizerConfig, null, "bos_token").orElse(null);
            bosId = bos == null ? null : vocab.get(bos);
            if (bosId == null) {
                bos = null;
            }
        }
        // GPT-2's slow tokenizer maps symbols missing from the vocabulary to unk_token.
        String unk = SpecialTokens.text(tokenizerConfig, null, "unk_token").filter(vocab::containsKey).orElse(null);
        try {
            return ByteLevelBpe.JSON.writeValueAsString(
                    ByteLevelBpe.tokenizerJson(vocab, merges, added, addPrefixSpace, bos, bosId, unk));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise tokenizer.json", e);
        }
    }

    /** merges.txt: an optional {@code #version} line, then one {@code left right} pair per line. */
    private static List<String> readMerges(Path file) {
        List<String> merges = new ArrayList<>();
        String[] lines = readText(file).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] parts = line.trim().split(" +");
            if (parts.length != 2) {
                throw new ConfigException(String.format("%s:%d: expected two symbols separated by a space, was '%s'",
                        file, i + 1, line));
            }
            merges.add(parts[0] + " " + parts[1]);
        }
        return merges;
    }
}
