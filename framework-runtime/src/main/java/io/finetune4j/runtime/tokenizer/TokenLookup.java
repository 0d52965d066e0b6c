package io.finetune4j.runtime.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.finetune4j.api.ConfigException;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Token text ↔ id for the few tokens a loader asks about, and the vocabulary size, found in one streaming
 * pass over a tokenizer.json (its vocabulary can hold 150k entries: no tree is built). Added tokens win
 * over the model vocabulary, which is an object for BPE, WordPiece and WordLevel and a list of
 * {@code [piece, score]} for Unigram.
 */
final class TokenLookup {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES) // vocabulary keys are seen once each
            .build();

    private final Map<String, Long> ids;
    private final Map<Long, String> tokens;
    private final int vocabSize;

    private TokenLookup(Map<String, Long> ids, Map<Long, String> tokens, int vocabSize) {
        this.ids = ids;
        this.tokens = tokens;
        this.vocabSize = vocabSize;
    }

    /** Scans {@code json}, remembering the ids of {@code wantedTokens} and the texts of {@code wantedIds}. */
    static TokenLookup scan(byte[] json, String origin, Set<String> wantedTokens, Set<Long> wantedIds) {
        Scan scan = new Scan(wantedTokens, wantedIds);
        try (JsonParser parser = FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ConfigException(origin + ": must be a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if (field.equals("added_tokens") && parser.currentToken() == JsonToken.START_ARRAY) {
                    scan.addedTokens(parser);
                } else if (field.equals("model") && parser.currentToken() == JsonToken.START_OBJECT) {
                    scan.model(parser);
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new ConfigException(origin + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!scan.sawVocab) {
            throw new ConfigException(origin + ": model.vocab is missing; not a Hugging Face tokenizer.json?");
        }
        if (scan.maxId >= Integer.MAX_VALUE) {
            throw new ConfigException(origin + ": token id " + scan.maxId + " is too large");
        }
        Map<String, Long> ids = new LinkedHashMap<>(scan.vocabIds);
        ids.putAll(scan.addedIds);
        Map<Long, String> tokens = new HashMap<>(scan.vocabTokens);
        tokens.putAll(scan.addedTokens);
        return new TokenLookup(ids, tokens, (int) scan.maxId + 1);
    }

    int vocabSize() {
        return vocabSize;
    }

    /** The id of a token asked for in {@link #scan}. */
    OptionalLong id(String token) {
        Long id = ids.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** The text of an id asked for in {@link #scan}. */
    Optional<String> token(long id) {
        return Optional.ofNullable(tokens.get(id));
    }

    private static final class Scan {
        private final Set<String> wantedTokens;
        private final Set<Long> wantedIds;
        private final Map<String, Long> addedIds = new HashMap<>();
        private final Map<Long, String> addedTokens = new HashMap<>();
        private final Map<String, Long> vocabIds = new HashMap<>();
        private final Map<Long, String> vocabTokens = new HashMap<>();
        private long maxId = -1;
        private boolean sawVocab;

        Scan(Set<String> wantedTokens, Set<Long> wantedIds) {
            this.wantedTokens = wantedTokens;
            this.wantedIds = wantedIds;
        }

        void addedTokens(JsonParser parser) throws IOException {
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                String content = null;
                Long id = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (field.equals("content") && value == JsonToken.VALUE_STRING) {
                        content = parser.getText();
                    } else if (field.equals("id") && value == JsonToken.VALUE_NUMBER_INT) {
                        id = parser.getLongValue();
                    } else {
                        parser.skipChildren();
                    }
                }
                if (content != null && id != null) {
                    addedIds.put(content, id);
                    addedTokens.put(id, content);
                    maxId = Math.max(maxId, id);
                }
            }
        }

        void model(JsonParser parser) throws IOException {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("vocab") && value == JsonToken.START_OBJECT) {
                    sawVocab = true;
                    vocabObject(parser);
                } else if (field.equals("vocab") && value == JsonToken.START_ARRAY) {
                    sawVocab = true;
                    vocabList(parser);
                } else {
                    parser.skipChildren();
                }
            }
        }

        private void vocabObject(JsonParser parser) throws IOException {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String token = parser.currentName();
                if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    parser.skipChildren();
                    continue;
                }
                remember(token, parser.getLongValue());
            }
        }

        private void vocabList(JsonParser parser) throws IOException {
            long index = 0;
            while (parser.nextToken() == JsonToken.START_ARRAY) {
                JsonToken first = parser.nextToken();
                String piece = first == JsonToken.VALUE_STRING ? parser.getText() : null;
                if (first != JsonToken.END_ARRAY) {
                    parser.skipChildren();
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        parser.skipChildren();
                    }
                }
                if (piece != null) {
                    remember(piece, index);
                }
                index++;
            }
        }

        private void remember(String token, long id) {
            maxId = Math.max(maxId, id);
            if (wantedTokens.contains(token)) {
                vocabIds.put(token, id);
            }
            if (wantedIds.contains(id)) {
                vocabTokens.putIfAbsent(id, token);
            }
        }
    }
}
