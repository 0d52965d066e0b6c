package io.finetune4j.runner.cli;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.gguf.GgufTensorType;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ft4j export --model DIR [--adapter DIR] --format gguf --dtype f32|f16|q8_0 [--ollama] [--output FILE]}. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a checkpoint (an adapter merged in first) as a GGUF file for llama.cpp and Ollama.")
public final class ExportCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The checkpoint directory.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "An adapter to merge into the model first.")
    Path adapter;

    @Option(names = "--format", paramLabel = "gguf", defaultValue = "gguf", description = "The file format (gguf).")
    String format;

    @Option(names = "--dtype", paramLabel = "f32|f16|q8_0", defaultValue = "f16",
            description = "Type of the weight matrices; norms and biases stay f32 (default: f16).")
    String dtype;

    @Option(names = "--ollama", description = "Also write an Ollama Modelfile beside the GGUF file.")
    boolean ollama;

    @Option(names = "--output", paramLabel = "FILE", description = "The GGUF file (default: <model dir name>-<dtype>.gguf).")
    Path output;

    @Option(names = "--json", description = "Print one JSON line describing what was written.")
    boolean json;

    @Override
    public int run(Ft4j app) {
        if (!format.equals("gguf")) {
            throw new ConfigException("--format: '" + format + "' is not supported; supported: [gguf]");
        }
        app.exporting().export(model, Optional.ofNullable(adapter), dtype(dtype), Optional.ofNullable(output), ollama, json);
        return 0;
    }

    static GgufTensorType dtype(String text) {
        return switch (text) {
            case "f32" -> GgufTensorType.F32;
            case "f16" -> GgufTensorType.F16;
            case "q8_0" -> GgufTensorType.Q8_0;
            default -> throw new ConfigException("--dtype: '" + text + "' is not supported; supported: [f32, f16, q8_0]");
        };
    }
}
