package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.runner.testing.Ft4jRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every data layout trains a stage of the shipped tiny Llama for two steps: SFT on each file type and row
 * convention, DPO on TRL's conversational preference rows (implicit prompt, rendered with the tokenizer's
 * template; tiny-llama has none, so ChatML), and SFT on tool-calling rows with a tool-aware template given by
 * the stage's {@code tokenizer:}.
 */
class DataFormatsPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TINY_LLAMA = Path.of("..", "models", "tiny-llama").toAbsolutePath().normalize();

    @TempDir
    Path temp;

    @Test
    void eachFormatTrainsAStage() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("array.json"), "[{\"text\": \"the cat sat\"}, {\"text\": \"on the mat\"}]");
        Files.writeString(data.resolve("object.json"), "{\"data\": [{\"prompt\": \"1+1=\", \"completion\": \"2\"},"
                + " {\"prompt\": \"2+1=\", \"completion\": \"3\"}]}");
        Files.writeString(data.resolve("qa.csv"), "question,answer\n1+2=,3\n2+2=,4\n");
        Files.writeString(data.resolve("alpaca.json"), "[{\"instruction\": \"Add\", \"input\": \"1 and 2\", \"output\": \"3\"},"
                + " {\"instruction\": \"Say hi\", \"output\": \"hi\"}]");
        Files.writeString(data.resolve("kto.jsonl"), "{\"prompt\": \"1+1=\", \"completion\": \"2\", \"label\": true}\n"
                + "{\"prompt\": \"1+1=\", \"completion\": \"3\", \"label\": false}\n");
        Files.writeString(data.resolve("sharegpt.jsonl"), "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, "
                + "{\"from\": \"gpt\", \"value\": \"hello\"}]}\n{\"conversations\": [{\"from\": \"human\", \"value\": \"1+1\"}, "
                + "{\"from\": \"gpt\", \"value\": \"2\"}]}\n");
        String user = "{\"role\": \"user\", \"content\": \"1+1=\"}";
        Files.writeString(data.resolve("prefs.jsonl"), ("{\"chosen\": [U, {\"role\": \"assistant\", \"content\": \"2\"}], "
                + "\"rejected\": [U, {\"role\": \"assistant\", \"content\": \"3\"}]}\n").replace("U", user).repeat(2));
        // Tool calling: tiny-llama's tokenizer with a short template that renders tools and tool_calls (the real
        // templates' tool preambles outgrow tiny-llama's 512 positions; they are tested in RealChatTemplatesTest)
        Path toolTokenizer = Files.createDirectories(temp.resolve("tool-tokenizer"));
        Files.copy(TINY_LLAMA.resolve("tokenizer.json"), toolTokenizer.resolve("tokenizer.json"));
        ObjectNode tokenizerConfig = (ObjectNode) JSON.readTree(TINY_LLAMA.resolve("tokenizer_config.json").toFile());
        tokenizerConfig.put("chat_template", "{% if tools %}tools:{% for t in tools %} {{ t.function.name }}{% endfor %}\n"
                + "{% endif %}{% for m in messages %}{{ m.role + ': ' }}{% if m.tool_calls %}{% for c in m.tool_calls %}"
                + "{{ c.function.name + (c.function.arguments | tojson) }}{% endfor %}{% else %}{{ m.content }}{% endif %}\n"
                + "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}");
        JSON.writeValue(toolTokenizer.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        String toolRow = "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": {\"type\": \"object\"}}}], "
                + "\"messages\": [{\"role\": \"user\", \"content\": \"1+1?\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"type\": "
                + "\"function\", \"function\": {\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 1}}}]}, {\"role\": \"tool\", "
                + "\"content\": \"2\"}, {\"role\": \"assistant\", \"content\": \"2\"}]}\n";
        Files.writeString(data.resolve("tools.jsonl"), toolRow.repeat(2));
        Files.createDirectories(data.resolve("hub/data"));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement()) {
            statement.execute("COPY (SELECT 'q' || i AS prompt, 'a' || i AS completion FROM range(6) t(i)) TO '"
                    + data.resolve("prompts.parquet") + "' (FORMAT parquet)");
            statement.execute("COPY (SELECT [{'role': 'user', 'content': 'q' || i}, {'role': 'assistant', 'content': 'a' || i}]"
                    + " AS messages FROM range(2) t(i)) TO '" + data.resolve("chat.parquet") + "' (FORMAT parquet)");
            statement.execute("COPY (SELECT 'train text ' || i AS text FROM range(4) t(i)) TO '"
                    + data.resolve("hub/data/train-00000-of-00001.parquet") + "' (FORMAT parquet)");
            statement.execute("COPY (SELECT 'test text' AS text) TO '"
                    + data.resolve("hub/data/test-00000-of-00001.parquet") + "' (FORMAT parquet)");
        }
        List<String> stages = List.of(
                "{train: data/array.json}",
                "{train: data/object.json}",
                "{train: data/qa.csv, columns: {prompt: question, completion: answer}}",
                "{train: data/prompts.parquet, max_rows: 3, shuffle_seed: 5}",
                "{train: data/hub, split: train}",
                "{train: data/alpaca.json}",
                "{train: data/kto.jsonl}",
                "{train: data/sharegpt.jsonl}",
                "{train: data/chat.parquet}",
                "dpo {train: data/prefs.jsonl}",
                "tokenizer {train: data/tools.jsonl}");
        StringBuilder yaml = new StringBuilder("stages:\n");
        for (int i = 0; i < stages.size(); i++) {
            yaml.append("  - name: s").append(i).append('\n')
                    .append("    base: ").append(TINY_LLAMA).append('\n')
                    .append(stages.get(i).startsWith("tokenizer ") ? "    tokenizer: " + toolTokenizer + "\n" : "")
                    .append("    method: {id: lora, r: 2, lora_alpha: 4}\n")
                    .append("    objective: ").append(stages.get(i).startsWith("dpo") ? "dpo" : "sft").append('\n')
                    .append("    data: ").append(stages.get(i).replaceFirst("^(dpo|tokenizer) ", "")).append('\n')
                    .append("    training: {max_steps: 2, batch_size: 2, max_length: 200}\n")
                    .append("    output: {merge: false}\n");
        }
        Path pipeline = Files.writeString(temp.resolve("pipeline.yaml"), yaml);
        Path run = temp.resolve("run");

        Ft4jRun result = Ft4jRun.of("run", pipeline.toString(), "--output", run.toString());

        assertThat(result.code()).as(result.err()).isZero();
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        for (int i = 0; i < stages.size(); i++) {
            String stage = "s" + i;
            JsonNode last = null;
            for (String line : lines) {
                JsonNode node = JSON.readTree(line);
                if (stage.equals(node.path("stage").asText()) && node.has("loss")) {
                    last = node;
                }
            }
            assertThat(last).as("a loss line of %s (%s)", stage, stages.get(i)).isNotNull();
            assertThat(last.get("loss").asDouble()).as(stages.get(i)).isFinite().isPositive();
        }
    }
}
