package io.finetune4j.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoDataCommandTest {
    @Test
    void writesEveryFileAndSaysWhat(@TempDir Path dir) throws Exception {
        DemoDataCommand command = new DemoDataCommand();
        CommandLine cli = new CommandLine(command);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.parseArgs("--out", dir.toString(), "--seed", "3", "--pretrain-docs", "200", "--general-docs", "10",
                "--train", "20", "--heldout", "5", "--vocab", "300");

        assertThat(command.call()).isZero();

        assertThat(Files.readAllLines(dir.resolve("pretrain.jsonl"))).hasSize(200).allMatch(l -> l.startsWith("{\"text\":"));
        assertThat(Files.readAllLines(dir.resolve("general.jsonl"))).hasSize(10);
        assertThat(Files.readAllLines(dir.resolve("train.jsonl"))).hasSize(20)
                .allMatch(l -> l.startsWith("{\"prompt\":") && l.contains(",\"completion\":\" "));
        assertThat(Files.readAllLines(dir.resolve("heldout.jsonl"))).hasSize(5);
        assertThat(dir.resolve("tokenizer/tokenizer.json")).isRegularFile();
        assertThat(out.toString()).contains("wrote demo data (seed 3) to " + dir,
                "  train.jsonl         20 prompt/completion rows",
                "  tokenizer/      byte-level BPE, 41 merges, vocabulary 300");
    }

    @Test
    void rejectsBadSizesNamingEveryOption(@TempDir Path dir) {
        DemoDataCommand command = new DemoDataCommand();
        new CommandLine(command).parseArgs("--out", dir.toString(), "--train", "0", "--vocab", "10");

        assertThatThrownBy(command::call).isInstanceOf(ConfigException.class).hasMessage("""
                2 problems:
                  1. --train: must be > 0, was 0
                  2. --vocab: must be >= 259 (bytes and special tokens), was 10""");
    }
}
