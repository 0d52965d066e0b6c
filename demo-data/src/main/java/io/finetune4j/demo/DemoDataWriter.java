package io.finetune4j.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes {@link DemoData} and its tokenizer as files:
 * <pre>
 * pretrain.jsonl   {"text": ...}                     pretraining corpus
 * general.jsonl    {"text": ...}                     held-out text of the same kind (watch forgetting)
 * train.jsonl      {"prompt": ..., "completion": ...} SFT task, training split
 * heldout.jsonl    {"prompt": ..., "completion": ...} SFT task, held-out split (disjoint prompts)
 * tokenizer/       byte-level BPE learned from pretrain.jsonl (tokenizer.json, tokenizer_config.json)
 * </pre>
 * Output is byte-for-byte the same for the same data: keys in a fixed order, {@code \n} line ends.
 */
public final class DemoDataWriter {
    /** Special tokens of the demo tokenizer, ids right after the byte and merge tokens. */
    public static final List<String> SPECIAL_TOKENS = List.of("<s>", "</s>", "<pad>");
    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoDataWriter() {}

    /** Writes every file into {@code dir} (created if missing); returns the learned merges. */
    public static List<String> write(Path dir, DemoData data, int vocabSize) {
        try {
            Files.createDirectories(dir);
            writeLines(dir.resolve("pretrain.jsonl"), data.pretrain().stream().map(DemoDataWriter::textRow).toList());
            writeLines(dir.resolve("general.jsonl"), data.general().stream().map(DemoDataWriter::textRow).toList());
            writeLines(dir.resolve("train.jsonl"), data.train().stream().map(DemoDataWriter::sftRow).toList());
            writeLines(dir.resolve("heldout.jsonl"), data.heldout().stream().map(DemoDataWriter::sftRow).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write demo data to " + dir, e);
        }
        List<String> merges = BpeTrainer.train(data.pretrain(), mergesFor(vocabSize), 2);
        writeTokenizer(dir.resolve("tokenizer"), merges);
        return merges;
    }

    /** Size of the vocabulary {@link #writeTokenizer} makes: bytes, distinct merge results, special tokens. */
    public static int vocabularySize(List<String> merges) {
        return 256 + (int) merges.stream().map(merge -> merge.replace(" ", "")).distinct().count()
                + SPECIAL_TOKENS.size();
    }

    /** Merges that fit a vocabulary of {@code vocabSize}: what the 256 bytes and the special tokens leave. */
    public static int mergesFor(int vocabSize) {
        return Math.max(0, vocabSize - 256 - SPECIAL_TOKENS.size());
    }

    /** A byte-level BPE tokenizer with {@code merges} and the demo's special tokens, in Hugging Face layout. */
    public static void writeTokenizer(Path dir, List<String> merges) {
        TokenizerFiles.writeByteLevel(dir, SPECIAL_TOKENS, merges, "<s>", "</s>", "<pad>");
    }

    private static String textRow(String text) {
        ObjectNode row = JSON.createObjectNode();
        row.put("text", text);
        return json(row);
    }

    private static String sftRow(SftExample example) {
        ObjectNode row = JSON.createObjectNode();
        row.put("prompt", example.prompt());
        row.put("completion", example.completion());
        return json(row);
    }

    private static String json(ObjectNode row) {
        try {
            return JSON.writeValueAsString(row);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON row", e);
        }
    }

    private static void writeLines(Path file, List<String> lines) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String line : lines) {
                out.write(line);
                out.write('\n');
            }
        }
    }
}
