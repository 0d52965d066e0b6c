package io.finetune4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file layouts and row conventions of the Hub: JSON arrays, CSV, Parquet (written here by DuckDB's
 * {@code COPY ... TO}), split directories, column renames, Alpaca (tloen/alpaca-lora templates/alpaca.json),
 * ShareGPT (FastChat's from/value turns) and TRL's unpaired preference rows.
 */
class DatasetFilesTest {
    @TempDir
    Path temp;

    @Test
    void readsAJsonArrayAndADataObjectWithTheLineOfEachRow() throws IOException {
        Path array = write("a.json", "[\n  {\"text\": \"one\"},\n  {\"text\": \"two\"}\n]\n");
        Path object = write("b.json", "{\"version\": 1, \"data\": [{\"prompt\": \"p\", \"completion\": \"c\"}]}");

        Dataset first = DatasetFiles.read(array, DataOptions.DEFAULTS);
        Dataset second = DatasetFiles.read(object, DataOptions.DEFAULTS);

        assertThat(first.examples()).containsExactly(new Example.Text("one", new Source("a.json", 2)),
                new Example.Text("two", new Source("a.json", 3)));
        assertThat(second.examples()).containsExactly(new Example.PromptCompletion("p", "c", new Source("b.json", 1)));
    }

    @Test
    void readsCsvWithColumnsRenamed() throws IOException {
        Path csv = write("qa.csv", "question,answer,id\n\"What is 2+2?\",4,a\n\"Say \"\"hi\"\"\",\"hi, you\",b\n");
        DataOptions options = new DataOptions(Map.of("prompt", "question", "completion", "answer"), null,
                Optional.empty(), Optional.empty());

        assertThat(DatasetFiles.read(csv, options).examples()).containsExactly(
                new Example.PromptCompletion("What is 2+2?", "4", new Source("qa.csv", 1)),
                new Example.PromptCompletion("Say \"hi\"", "hi, you", new Source("qa.csv", 2)));
    }

    @Test
    void readsParquetWithNestedMessages() throws Exception {
        Path file = temp.resolve("chat.parquet");
        duckdb("COPY (SELECT [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}] AS messages"
                + " UNION ALL SELECT [{'role': 'user', 'content': 'a'}, {'role': 'assistant', 'content': 'b'}])"
                + " TO '" + file + "' (FORMAT parquet)");

        assertThat(DatasetFiles.read(file, DataOptions.DEFAULTS).examples()).containsExactly(
                new Example.Conversation(List.of(new Example.Message("user", "hi"), new Example.Message("assistant", "hello")),
                        new Source("chat.parquet", 1)),
                new Example.Conversation(List.of(new Example.Message("user", "a"), new Example.Message("assistant", "b")),
                        new Source("chat.parquet", 2)));
    }

    @Test
    void aHubDirectoryIsReadBySplit() throws Exception {
        Path dir = temp.resolve("hub");
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("README.md"), "# a dataset card\n");
        duckdb("COPY (SELECT 'train ' || i AS text FROM range(3) t(i) ORDER BY i) TO '"
                + dir.resolve("data/train-00000-of-00001.parquet") + "' (FORMAT parquet)");
        duckdb("COPY (SELECT 'test ' || i AS text FROM range(2) t(i) ORDER BY i) TO '"
                + dir.resolve("data/test-00000-of-00001.parquet") + "' (FORMAT parquet)");
        Path folders = temp.resolve("folders");
        Files.createDirectories(folders.resolve("validation"));
        Files.writeString(folders.resolve("validation/part.jsonl"), "{\"text\": \"v\"}\n");

        Dataset train = DatasetFiles.read(dir, DataOptions.DEFAULTS);
        Dataset test = DatasetFiles.read(dir, new DataOptions(Map.of(), "test", Optional.empty(), Optional.empty()));

        assertThat(train.name()).isEqualTo("hub/train");
        assertThat(train.examples()).extracting(e -> ((Example.Text) e).text()).containsExactly("train 0", "train 1", "train 2");
        assertThat(test.examples()).extracting(e -> ((Example.Text) e).text()).containsExactly("test 0", "test 1");
        assertThat(DatasetFiles.read(folders, new DataOptions(Map.of(), "validation", Optional.empty(), Optional.empty()))
                .examples()).extracting(e -> ((Example.Text) e).text()).containsExactly("v");
        assertThatThrownBy(() -> DatasetFiles.read(dir, new DataOptions(Map.of(), "dev", Optional.empty(), Optional.empty())))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir + ": no [.jsonl, .json, .csv, .parquet] files for split 'dev'; splits found: [test, train]");
    }

    @Test
    void shufflesWithTheSeedThenKeepsMaxRows() throws IOException {
        StringBuilder lines = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.append("{\"text\": \"row ").append(i).append("\"}\n");
            expected.add("row " + i);
        }
        Path file = write("rows.jsonl", lines.toString());
        Collections.shuffle(expected, new Random(7));

        Dataset data = DatasetFiles.read(file, new DataOptions(Map.of(), null, Optional.of(4), Optional.of(7L)));

        assertThat(data.examples()).extracting(e -> ((Example.Text) e).text()).containsExactlyElementsOf(expected.subList(0, 4));
        assertThat(DatasetFiles.read(file, new DataOptions(Map.of(), null, Optional.of(2), Optional.empty())).examples())
                .extracting(e -> ((Example.Text) e).text()).containsExactly("row 0", "row 1");
    }

    @Test
    void alpacaRowsBecomeAlpacaLoraPrompts() throws IOException {
        Path file = write("alpaca.json", "[{\"instruction\": \"Add.\", \"input\": \"2 and 3\", \"output\": \"5\"},"
                + " {\"instruction\": \"Greet.\", \"input\": \"\", \"output\": \"Hi\"}]");

        List<Example> rows = DatasetFiles.read(file, DataOptions.DEFAULTS).examples();

        assertThat(((Example.PromptCompletion) rows.get(0)).prompt()).isEqualTo("Below is an instruction that describes a "
                + "task, paired with an input that provides further context. Write a response that appropriately "
                + "completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n2 and 3\n\n### Response:\n");
        assertThat(((Example.PromptCompletion) rows.get(1)).prompt()).isEqualTo("Below is an instruction that describes a "
                + "task. Write a response that appropriately completes the request.\n\n### Instruction:\nGreet.\n\n### Response:\n");
        assertThat(((Example.PromptCompletion) rows.get(1)).completion()).isEqualTo("Hi");
    }

    @Test
    void shareGptTurnsBecomeMessages() throws IOException {
        Path file = write("sharegpt.jsonl", "{\"conversations\": [{\"from\": \"system\", \"value\": \"s\"}, "
                + "{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n"
                + "{\"conversations\": [{\"from\": \"robot\", \"value\": \"q\"}]}\n");

        assertThatThrownBy(() -> DatasetFiles.read(file, DataOptions.DEFAULTS))
                .isInstanceOf(ConfigException.class)
                .hasMessage("sharegpt.jsonl:2: conversations[0].from must be one of [assistant, function_call, gpt, "
                        + "human, observation, system, tool, user], was \"robot\"");
        Files.writeString(file, Files.readAllLines(file).get(0));
        assertThat(DatasetFiles.read(file, DataOptions.DEFAULTS).examples()).containsExactly(new Example.Conversation(
                List.of(new Example.Message("system", "s"), new Example.Message("user", "q"),
                        new Example.Message("assistant", "a")), new Source("sharegpt.jsonl", 1)));
    }

    @Test
    void unpairedPreferenceRowsNeedABooleanLabel() throws IOException {
        Path good = write("kto.csv", "prompt,completion,label\nq,a,true\nq,b,false\n");
        Path bad = write("kto.json", "[{\"prompt\": \"q\", \"completion\": \"a\", \"label\": true},\n"
                + " {\"prompt\": \"q\", \"completion\": \"b\", \"label\": \"maybe\"}]");

        assertThat(DatasetFiles.read(good, DataOptions.DEFAULTS).examples()).containsExactly(
                new Example.PromptCompletion("q", "a", new Source("kto.csv", 1)),
                new Example.PromptCompletion("q", "b", new Source("kto.csv", 2)));
        assertThatThrownBy(() -> DatasetFiles.read(bad, DataOptions.DEFAULTS))
                .isInstanceOf(ConfigException.class)
                .hasMessage("kto.json:2 (row 2): \"label\" of an unpaired preference row (prompt, completion, label) "
                        + "must be true or false, was \"maybe\"");
    }

    @Test
    void malformedRowsNameFileRowAndField() throws Exception {
        Path parquet = temp.resolve("bad.parquet");
        duckdb("COPY (SELECT 'p' AS prompt, 'c' AS completion UNION ALL SELECT 'p', NULL) TO '" + parquet
                + "' (FORMAT parquet)");
        Path csv = write("cols.csv", "question,answer\nq,a\n");

        // Row 2's completion is empty: it reads as a prompt-only row, which is still a valid kind.
        assertThat(DatasetFiles.read(parquet, DataOptions.DEFAULTS).examples().get(1))
                .isEqualTo(new Example.PromptOnly("p", new Source("bad.parquet", 2)));
        assertThatThrownBy(() -> DatasetFiles.read(csv, new DataOptions(Map.of("prompt", "query"), null,
                Optional.empty(), Optional.empty())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("cols.csv row 1: column \"query\" (columns.prompt) is not in the row; it has [question, answer]");
        Path json = write("types.json", "[{\"text\": \"a\"},\n {\"text\": 3}]");
        assertThatThrownBy(() -> DatasetFiles.read(json, DataOptions.DEFAULTS))
                .isInstanceOf(ConfigException.class)
                .hasMessage("types.json:2 (row 2): \"text\" must be a string, was number");
    }

    @Test
    void conversationalPreferenceRowsRenderWithTheTokenizersTemplate() throws IOException {
        Path tokenizer = temp.resolve("tok");
        TokenizerFiles.writeByteLevel(tokenizer, List.of("<|im_end|>"), List.of(), null, "<|im_end|>", null);
        Path file = write("prefs.jsonl", "{\"chosen\": [{\"role\": \"user\", \"content\": \"2+2?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"4\"}], \"rejected\": [{\"role\": \"user\", "
                + "\"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"5\"}]}\n"
                + "{\"prompt\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"q\"}], "
                + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"}], "
                + "\"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}\n");
        DataOptions options = DataOptions.DEFAULTS.withTokenizer(Optional.of(tokenizer));

        List<Example> rows = DatasetFiles.read(file, options).examples();

        // The tokenizer has no chat_template, so auto is ChatML: prompt with the generation prompt, answers cut after it.
        assertThat(rows).containsExactly(
                new Example.Preference("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", "4<|im_end|>\n",
                        "5<|im_end|>\n", new Source("prefs.jsonl", 1)),
                new Example.Preference("<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nq<|im_end|>\n"
                        + "<|im_start|>assistant\n", "a<|im_end|>\n", "b<|im_end|>\n", new Source("prefs.jsonl", 2)));
        assertThatThrownBy(() -> DatasetFiles.read(file, DataOptions.DEFAULTS))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rendered with the tokenizer's chat template");
    }

    @Test
    void aConversationalPreferenceRowWithoutASharedPromptIsNamed() throws IOException {
        Path tokenizer = temp.resolve("tok");
        TokenizerFiles.writeByteLevel(tokenizer, List.of("<|im_end|>"), List.of(), null, "<|im_end|>", null);
        Path file = write("prefs.json", "[{\"chosen\": [{\"role\": \"user\", \"content\": \"a\"}],\n"
                + "  \"rejected\": [{\"role\": \"user\", \"content\": \"b\"}]}]");

        assertThatThrownBy(() -> DatasetFiles.read(file, DataOptions.DEFAULTS.withTokenizer(Optional.of(tokenizer))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("prefs.json:1 (row 1): \"chosen\" and \"rejected\" share no leading messages, so the row "
                        + "has no prompt; give one as \"prompt\" (a message list)");
    }

    @Test
    void toolCallingRowsRenderWithToolsAndTrainTheLastTurn() throws IOException {
        Path tokenizer = temp.resolve("qwen-tok");
        TokenizerFiles.writeByteLevel(tokenizer, List.of("<|im_end|>"), List.of(), null, "<|im_end|>", null);
        String template;
        try (var in = getClass().getResourceAsStream("/chat-templates/qwen2.5-instruct.jinja")) {
            template = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(tokenizer.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", template);
        json.writeValue(tokenizer.resolve("tokenizer_config.json").toFile(), config);
        String tool = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";
        Path file = write("tools.jsonl", "{\"tools\": [" + tool + "], \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, "
                + "{\"role\": \"assistant\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
                + "\"arguments\": {\"city\": \"Paris\"}}}]}]}\n");

        Example.PromptCompletion row = (Example.PromptCompletion) DatasetFiles.read(file,
                DataOptions.DEFAULTS.withTokenizer(Optional.of(tokenizer))).examples().get(0);

        // Python's Jinja2 renders Qwen2.5's template with these tools and messages to exactly these two parts.
        assertThat(row.completion()).isEqualTo("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call><|im_end|>\n");
        assertThat(row.prompt()).startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                        + "assistant.\n\n# Tools\n\n")
                .contains("<tools>\n" + tool + "\n</tools>")
                .endsWith("<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n");
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(temp.resolve(name), text);
    }

    private static void duckdb(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
