package io.finetune4j.runtime.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of a {@code .json} file: a top-level array of objects, or an object whose {@code data} field is
 * one (the layout of many Hub repositories), each with the line it starts on.
 */
final class JsonArrayRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One array element and the 1-based line where it starts. */
    record Located(JsonNode node, int line) {}

    private JsonArrayRows() {}

    static List<Located> read(Path file, String name) {
        List<Located> rows = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(file.toFile())) {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.START_OBJECT) {
                token = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if ("data".equals(field) && value == JsonToken.START_ARRAY) {
                        token = value;
                        break;
                    }
                    parser.skipChildren();
                }
            }
            if (token != JsonToken.START_ARRAY) {
                throw new ConfigException(name + ": expected a JSON array of rows, or an object with a \"data\" array");
            }
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                int line = parser.currentTokenLocation().getLineNr();
                rows.add(new Located(parser.readValueAsTree(), line));
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(name + ":" + line + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        return rows;
    }
}
