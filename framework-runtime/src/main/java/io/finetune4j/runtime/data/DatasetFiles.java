package io.finetune4j.runtime.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Reads training data in the layouts the Hub uses: a {@code .jsonl}, {@code .json} (array or
 * {@code {"data": [...]}}), {@code .csv} or {@code .parquet} file, or a dataset directory whose files are
 * split by name or folder as {@code datasets}' default data-file patterns find them
 * ({@code data/train-00000-of-00001.parquet}, {@code train.jsonl}, {@code train/part.csv}; files of no
 * known split are all {@code train}). Rows become {@link Example}s through {@link RowFormats} after the
 * {@code columns} renames; then the optional seeded shuffle and {@code max_rows} apply.
 *
 * <p>Every error names the file and the line (JSONL, JSON) or the 1-based row (CSV, Parquet) and the field.
 */
public final class DatasetFiles {
    /** The file types read, by extension. */
    public static final List<String> EXTENSIONS = List.of(".jsonl", ".json", ".csv", ".parquet");
    /** Split names {@code datasets} recognises in file and folder names. */
    static final List<String> KNOWN_SPLITS = List.of("train", "validation", "valid", "dev", "test", "eval");

    private DatasetFiles() {}

    /** One row before it becomes an example: the JSON object, where it is, and how messages name it. */
    record Row(JsonNode node, Source source, String where, String unit, boolean tabular) {}

    /** Reads {@code path} (a file or a dataset directory) with {@code options}. */
    public static Dataset read(Path path, DataOptions options) {
        List<Path> files = files(path, options.split());
        List<Example> examples = new ArrayList<>();
        Supplier<ChatTemplate> templates = templates(options.tokenizerDir());
        for (Path file : files) {
            for (Row row : rows(file)) {
                JsonNode node = renamed(row, options.columns());
                examples.add(RowFormats.example(node, row.source(), row.where(), row.unit(), templates));
            }
        }
        String name = Files.isDirectory(path) ? fileName(path) + "/" + options.split() : fileName(path);
        if (examples.isEmpty()) {
            throw new ConfigException(name + ": contains no examples");
        }
        if (options.shuffleSeed().isPresent()) {
            Collections.shuffle(examples, new Random(options.shuffleSeed().get()));
        }
        if (options.maxRows().isPresent() && options.maxRows().get() < examples.size()) {
            examples = examples.subList(0, options.maxRows().get());
        }
        return new Dataset(name, examples);
    }

    /** The tokenizer's own chat template (else ChatML, as {@code auto} resolves it), read once, on first use. */
    private static Supplier<ChatTemplate> templates(Optional<Path> tokenizerDir) {
        ChatTemplate[] loaded = new ChatTemplate[1];
        return () -> {
            if (loaded[0] == null) {
                Path dir = tokenizerDir.orElseThrow(() -> new ConfigException("conversational preference and "
                        + "tool-calling rows are rendered with the tokenizer's chat template; this stage's base has no "
                        + "tokenizer to take it from"));
                try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
                    loaded[0] = ChatTemplate.resolve(ChatTemplate.AUTO, "chat_template", tokenizer, dir::resolve);
                }
            }
            return loaded[0];
        };
    }

    /** The data files of {@code path}: itself when a file, else the files of {@code split}, sorted. */
    public static List<Path> files(Path path, String split) {
        if (Files.isRegularFile(path)) {
            if (extension(path).isEmpty()) {
                throw new ConfigException(path + ": unknown data file type; expected one of " + EXTENSIONS);
            }
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new ConfigException(path + ": no such file or directory");
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(path)) {
            all = walk.filter(Files::isRegularFile)
                    .filter(file -> extension(file).isPresent())
                    .filter(file -> !hidden(path.relativize(file)))
                    .sorted().toList();
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot list: " + e.getMessage(), e);
        }
        List<Path> matching = all.stream().filter(file -> splitOf(path, file).equals(split)).toList();
        if (!matching.isEmpty()) {
            return matching;
        }
        TreeSet<String> found = new TreeSet<>();
        all.forEach(file -> found.add(splitOf(path, file)));
        if (split.equals("train") && found.equals(new TreeSet<>(List.of("")))) {
            return all; // no file names a split: everything is train, as datasets does
        }
        found.remove("");
        throw new ConfigException(String.format(Locale.ROOT, "%s: no %s files for split '%s'; splits found: %s",
                path, EXTENSIONS, split, found));
    }

    /** {@code .git/...}, {@code .cache/...}: never data. */
    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** The split a file's path names ("" for none): a folder {@code train/} or a name {@code train-0000.parquet}. */
    static String splitOf(Path root, Path file) {
        Path relative = root.relativize(file);
        for (int i = 0; i < relative.getNameCount(); i++) {
            String part = relative.getName(i).toString();
            for (String split : KNOWN_SPLITS) {
                if (i < relative.getNameCount() - 1 ? part.equals(split)
                        : Pattern.compile("^" + split + "([-._].*)?$").matcher(part).matches()) {
                    return split;
                }
            }
        }
        return "";
    }

    private static Optional<String> extension(Path file) {
        String name = fileName(file).toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().filter(name::endsWith).findFirst();
    }

    private static String fileName(Path path) {
        return path.getFileName() == null ? path.toString() : path.getFileName().toString();
    }

    static List<Row> rows(Path file) {
        String name = fileName(file);
        String type = extension(file).orElseThrow();
        List<Row> rows = new ArrayList<>();
        switch (type) {
            case ".jsonl" -> {
                try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    String line;
                    int number = 0;
                    while ((line = reader.readLine()) != null) {
                        number++;
                        if (number == 1 && line.startsWith("\uFEFF")) {
                            line = line.substring(1);
                        }
                        if (!line.isBlank()) {
                            Source source = new Source(name, number);
                            rows.add(new Row(JsonlDatasetReader.node(line, source), source, source.toString(), "line", false));
                        }
                    }
                } catch (CharacterCodingException e) {
                    throw new ConfigException(name + ": not valid UTF-8 text", e);
                } catch (IOException e) {
                    throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
                }
            }
            case ".json" -> {
                int index = 0;
                for (JsonArrayRows.Located row : JsonArrayRows.read(file, name)) {
                    index++;
                    rows.add(new Row(row.node(), new Source(name, row.line()),
                            name + ":" + row.line() + " (row " + index + ")", "row", false));
                }
            }
            default -> {
                List<JsonNode> table = type.equals(".csv") ? TabularRows.csv(file) : TabularRows.parquet(file);
                for (int i = 0; i < table.size(); i++) {
                    rows.add(new Row(table.get(i), new Source(name, i + 1), name + " row " + (i + 1), "row", true));
                }
            }
        }
        return rows;
    }

    /** The row with each {@code columns} entry (canonical name to the file's column) renamed. */
    private static JsonNode renamed(Row row, Map<String, String> columns) {
        if (!(row.node() instanceof ObjectNode object)) {
            return row.node();
        }
        if (columns.isEmpty()) {
            return row.tabular() ? withoutNulls(object.deepCopy()) : object;
        }
        ObjectNode copy = object.deepCopy();
        for (Map.Entry<String, String> column : new java.util.TreeMap<>(columns).entrySet()) {
            JsonNode value = copy.remove(column.getValue());
            if (value == null) {
                List<String> names = new ArrayList<>();
                object.fieldNames().forEachRemaining(names::add);
                throw new ConfigException(String.format(Locale.ROOT, "%s: column \"%s\" (columns.%s) is not in the %s; "
                        + "it has %s", row.where(), column.getValue(), column.getKey(), row.unit(), names));
            }
            copy.set(column.getKey(), value);
        }
        return row.tabular() ? withoutNulls(copy) : copy;
    }

    /** A CSV or Parquet row has every column; an empty (null) one counts as absent. */
    private static ObjectNode withoutNulls(ObjectNode row) {
        row.properties().removeIf(field -> field.getValue().isNull());
        return row;
    }
}
