package io.finetune4j.runner.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A project small enough to train in a test: a byte-level tokenizer ({@code tok/}, 256 bytes plus
 * {@code <s>} and {@code </s>}), a tiny Llama config ({@code model/config.json}: hidden 16, 2 layers, 128 positions) for
 * {@code base: {init: ...}}, and prompt/completion training and text evaluation data.
 */
public final class TinyProject {
    public static final int VOCAB = 258;

    private final Path dir;

    public TinyProject(Path dir) {
        this.dir = dir;
        try {
            TokenizerFiles.writeByteLevel(Files.createDirectories(dir.resolve("tok")), List.of("<s>", "</s>"), List.of(),
                    "<s>", "</s>", null);
            Files.createDirectories(dir.resolve("model"));
            new ObjectMapper().writeValue(dir.resolve("model/config.json").toFile(),
                    ModelConfigJson.toMap(ModelFactory.llamaConfig(VOCAB, 16, 2, 2, 1, 32, 128)));
            Files.createDirectories(dir.resolve("data"));
            StringBuilder train = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                train.append("{\"prompt\": \"").append(i).append("+1=\", \"completion\": \"").append(i + 1).append("\"}\n");
            }
            Files.writeString(dir.resolve("data/train.jsonl"), train);
            Files.writeString(dir.resolve("data/heldout.jsonl"), """
                    {"text": "1+1=2"}
                    {"text": "two plus two"}
                    {"text": "3+1=4"}
                    {"text": "abc"}
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path write(String relative, String text) {
        try {
            Path file = dir.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
