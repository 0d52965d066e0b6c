package io.finetune4j.runtime.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a JSON Lines file (one JSON object per line, UTF-8) into a {@link Dataset} named after the file.
 * Each line becomes the first {@link Example} kind whose keys it has ({@link RowFormats}: preference,
 * messages, ShareGPT, Alpaca, prompt/completion, text, labelled, prompt). Other keys are ignored; blank
 * lines are skipped. A {@code label} may be a string, a number or a boolean (read as its text); every
 * other field must be a string.
 *
 * <p>Every problem is a {@link ConfigException} naming the file and 1-based line, e.g.
 * {@code train.jsonl:17: "completion" must be a string, was number}.
 */
public final class JsonlDatasetReader {
    /** Roles a chat message may have (the OpenAI / Hugging Face chat format). */
    public static final List<String> ROLES = RowFormats.ROLES;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonlDatasetReader() {}

    /** Reads every line of {@code file}; throws {@link ConfigException} on the first bad line. */
    public static Dataset read(Path file) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        List<Example> examples = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (number == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a UTF-8 byte order mark some editors write
                }
                if (!line.isBlank()) {
                    examples.add(parseLine(line, new Source(name, number)));
                }
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(name + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new ConfigException(name + ": contains no examples");
        }
        return new Dataset(name, examples);
    }

    /** One non-blank line as an example; {@code source} names it in errors. */
    static Example parseLine(String line, Source source) {
        JsonNode node = node(line, source);
        return RowFormats.example(node, source, source.toString(), "line", RowFormats::noTemplate);
    }

    /** One line's JSON value; a syntax error names the line and column. */
    static JsonNode node(String line, Source source) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": invalid JSON" + column(e) + ": " + brief(e), e);
        }
    }

    private static String column(JsonProcessingException e) {
        return e.getLocation() == null || e.getLocation().getColumnNr() < 1
                ? "" : " at column " + e.getLocation().getColumnNr();
    }

    /** Jackson's message without its source excerpt and location details, which the prefix already gives. */
    private static String brief(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        for (String noise : List.of("\n", " (start marker at", " at [Source")) {
            int cut = message.indexOf(noise);
            if (cut > 0) {
                message = message.substring(0, cut);
            }
        }
        return message;
    }
}
