package io.finetune4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDatasetReaderTest {
    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        Path file = dir.resolve("train.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private void assertFails(String message, String... lines) throws IOException {
        Path file = write(lines);
        assertThatThrownBy(() -> JsonlDatasetReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void readsEveryConventionWithFileAndLine() throws IOException {
        Dataset data = JsonlDatasetReader.read(write(
                "{\"text\": \"hello\"}",
                "{\"prompt\": \"2+2=\", \"completion\": \"4\", \"id\": 7}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}",
                "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}",
                "{\"chosen\": \"c\", \"rejected\": \"r\"}",
                "{\"prompt\": \"is it?\", \"label\": 1}",
                "{\"prompt\": \"tell me\"}"));

        assertThat(data.name()).isEqualTo("train.jsonl");
        assertThat(data.examples()).containsExactly(
                new Example.Text("hello", new Source("train.jsonl", 1)),
                new Example.PromptCompletion("2+2=", "4", new Source("train.jsonl", 2)),
                new Example.Conversation(List.of(new Example.Message("user", "hi"),
                        new Example.Message("assistant", "yo")), new Source("train.jsonl", 3)),
                new Example.Preference("p", "c", "r", new Source("train.jsonl", 4)),
                new Example.Preference("", "c", "r", new Source("train.jsonl", 5)),
                new Example.Labelled("is it?", "1", new Source("train.jsonl", 6)),
                new Example.PromptOnly("tell me", new Source("train.jsonl", 7)));
    }

    @Test
    void firstMatchingConventionWins() throws IOException {
        Dataset data = JsonlDatasetReader.read(write(
                "{\"prompt\": \"p\", \"completion\": \"c\", \"text\": \"t\"}"));

        assertThat(data.examples().get(0)).isInstanceOf(Example.PromptCompletion.class);
    }

    @Test
    void skipsBlankLinesAndKeepsLineNumbers() throws IOException {
        Dataset data = JsonlDatasetReader.read(write("", "{\"text\": \"a\"}", "   ", "{\"text\": \"b\"}"));

        assertThat(data.examples()).extracting(Example::source)
                .containsExactly(new Source("train.jsonl", 2), new Source("train.jsonl", 4));
    }

    @Test
    void readsCrLfLinesAndAByteOrderMark() throws IOException {
        Path file = dir.resolve("win.jsonl");
        Files.writeString(file, "\uFEFF{\"text\": \"a\"}\r\n{\"text\": \"b\"}\r\n", StandardCharsets.UTF_8);

        assertThat(JsonlDatasetReader.read(file).examples()).extracting(e -> ((Example.Text) e).text())
                .containsExactly("a", "b");
    }

    @Test
    void rejectsInvalidJsonNamingTheLine() throws IOException {
        assertFails("train.jsonl:2: invalid JSON at column 13: Unexpected end-of-input: expected close marker"
                        + " for Object",
                "{\"text\": \"a\"}", "{\"text\": \"b\"");
    }

    @Test
    void rejectsTrailingGarbage() throws IOException {
        Path file = write("{\"text\": \"a\"} x");

        assertThatThrownBy(() -> JsonlDatasetReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("train.jsonl:1: invalid JSON at column 16: Unrecognized token 'x'");
    }

    @Test
    void rejectsALineThatIsNotAnObject() throws IOException {
        assertFails("train.jsonl:1: expected a JSON object, found array", "[1, 2]");
    }

    @Test
    void rejectsALineWithoutKnownKeysListingTheConventions() throws IOException {
        assertFails("train.jsonl:1: no recognised keys in [input, output]; a line needs one of "
                        + "{\"text\"}, {\"prompt\", \"completion\"}, {\"messages\"}, "
                        + "{\"prompt\", \"chosen\", \"rejected\"}, {\"prompt\", \"label\"}, {\"prompt\"}, "
                        + "{\"instruction\", \"output\"} (Alpaca), {\"conversations\"} (ShareGPT)",
                "{\"input\": \"a\", \"output\": \"b\"}");
    }

    @Test
    void rejectsAWrongFieldType() throws IOException {
        assertFails("train.jsonl:3: \"completion\" must be a string, was number",
                "{\"text\": \"a\"}", "{\"text\": \"b\"}", "{\"prompt\": \"p\", \"completion\": 4}");
    }

    @Test
    void rejectsANullText() throws IOException {
        assertFails("train.jsonl:1: \"text\" must be a string, was null", "{\"text\": null}");
    }

    @Test
    void rejectsMessagesThatAreNotAnArray() throws IOException {
        assertFails("train.jsonl:1: \"messages\" must be an array, was string", "{\"messages\": \"hi\"}");
    }

    @Test
    void rejectsEmptyMessages() throws IOException {
        assertFails("train.jsonl:1: \"messages\" is empty", "{\"messages\": []}");
    }

    @Test
    void rejectsAMessageWithoutRole() throws IOException {
        assertFails("train.jsonl:1: messages[1] has no \"role\"",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"content\": \"yo\"}]}");
    }

    @Test
    void rejectsAMessageWithoutContent() throws IOException {
        assertFails("train.jsonl:1: messages[0] has no \"content\"", "{\"messages\": [{\"role\": \"user\"}]}");
    }

    @Test
    void rejectsAnUnknownRole() throws IOException {
        assertFails("train.jsonl:1: messages[0].role must be one of [system, user, assistant, tool], was \"bot\"",
                "{\"messages\": [{\"role\": \"bot\", \"content\": \"hi\"}]}");
    }

    @Test
    void rejectsANonStringContent() throws IOException {
        assertFails("train.jsonl:1: \"messages[0].content\" must be a string, was array",
                "{\"messages\": [{\"role\": \"user\", \"content\": [\"hi\"]}]}");
    }

    @Test
    void rejectsAMessageThatIsNotAnObject() throws IOException {
        assertFails("train.jsonl:1: messages[0] must be an object, was string", "{\"messages\": [\"hi\"]}");
    }

    @Test
    void rejectsAnObjectLabel() throws IOException {
        assertFails("train.jsonl:1: \"label\" must be a string, number or boolean, was object",
                "{\"prompt\": \"p\", \"label\": {}}");
    }

    @Test
    void rejectsAnEmptyFile() throws IOException {
        assertFails("train.jsonl: contains no examples", "", "  ");
    }

    @Test
    void rejectsAMissingFile() {
        Path file = dir.resolve("missing.jsonl");

        assertThatThrownBy(() -> JsonlDatasetReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": no such file");
    }

    @Test
    void rejectsInvalidUtf8() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.write(file, new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});

        assertThatThrownBy(() -> JsonlDatasetReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bad.jsonl: not valid UTF-8 text");
    }
}
