package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.model.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a Hugging Face checkpoint directory that transformers and {@link CheckpointReader} both load. */
public final class CheckpointWriter {
    /** Tokenizer files copied next to the weights, when present in the source directory. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt", "chat_template.jinja");

    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointWriter() {}

    /**
     * Writes config.json (config.raw() unchanged), model.safetensors (each tensor in storedTypes' dtype,
     * default F32) and copies tokenizer files (tokenizer.json, tokenizer_config.json,
     * special_tokens_map.json, generation_config.json, vocab.json, merges.txt) from tokenizerSourceDir
     * when non-null. Atomic: writes into a temp sibling dir and moves it into place (replacing an old dir).
     */
    public static void write(Path dir, ModelConfig config, Map<String, NDArray> tensors,
                             Map<String, DataType> storedTypes, Path tokenizerSourceDir) {
        Map<String, DataType> types = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> tensor : tensors.entrySet()) {
            DataType stored = storedTypes == null ? null : storedTypes.get(tensor.getKey());
            DataType own = tensor.getValue().getDataType();
            types.put(tensor.getKey(), stored != null ? stored : own.isFloating() ? DataType.FLOAT32 : own);
        }
        byte[] configJson = prettyJson(ModelConfigJson.toMap(config));
        AtomicFiles.writeDirectoryAtomically(dir, temporary -> {
            writeSynced(temporary.resolve(CheckpointReader.CONFIG), configJson);
            SafetensorsWriter.write(temporary.resolve(CheckpointReader.WEIGHTS), tensors, types, Map.of("format", "pt"));
            if (tokenizerSourceDir != null) {
                for (String name : TOKENIZER_FILES) {
                    Path source = tokenizerSourceDir.resolve(name);
                    if (Files.isRegularFile(source)) {
                        writeSynced(temporary.resolve(name), Files.readAllBytes(source));
                    }
                }
            }
        });
    }

    /** JSON laid out as Python's {@code json.dumps(indent=2)} does, as transformers writes config.json. */
    public static byte[] prettyJson(Object value) {
        DefaultIndenter twoSpaces = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withArrayIndenter(twoSpaces)
                .withObjectIndenter(twoSpaces);
        try {
            return (JSON.writer(printer).writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }
}
