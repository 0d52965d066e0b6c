package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.gguf.GgufExport;
import io.finetune4j.runtime.io.gguf.GgufTensorType;
import io.finetune4j.runtime.io.gguf.OllamaModelfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ft4j export}: a checkpoint, with an adapter merged in first (as {@code ft4j merge} does it, in memory),
 * written as a GGUF file and, with {@code --ollama}, an Ollama {@code Modelfile} beside it.
 */
public final class ExportService {
    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public ExportService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** Writes the GGUF file (and Modelfile); returns the GGUF path. */
    public Path export(Path modelDir, Optional<Path> adapterDir, GgufTensorType dtype, Optional<Path> output,
                       boolean ollama, boolean json) {
        Path file = output.orElseGet(() -> Path.of(modelDir.toAbsolutePath().normalize().getFileName() + "-"
                + dtype.label() + ".gguf"));
        if (Files.isDirectory(file)) {
            throw new ConfigException("--output: " + file + " is a directory; give the GGUF file's path");
        }
        try (ModelHandle handle = models.load(modelDir, "--model")) {
            CausalLM model = handle.model();
            adapterDir.ifPresent(dir -> mergeInto(model, dir, adapters));
            String name = modelDir.toAbsolutePath().normalize().getFileName().toString();
            GgufExport.Result result = GgufExport.write(model, name, dtype, file);
            Path modelfile = null;
            if (ollama) {
                modelfile = file.toAbsolutePath().resolveSibling("Modelfile");
                String text = OllamaModelfile.of(file.getFileName().toString(), model.tokenizer().chatTemplate(),
                        ChatTemplate.specialTokens(model.tokenizer()), eosTexts(model));
                AtomicFiles.writeAtomically(modelfile, temp -> Files.writeString(temp, text, StandardCharsets.UTF_8));
            }
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("output", file.toString());
                line.put("architecture", result.architecture());
                line.put("dtype", dtype.label());
                line.put("tensors", result.tensorTypes().size());
                line.put("bytes", result.bytes());
                line.put("modelfile", modelfile == null ? null : modelfile.toString());
                console.result(JsonLine.of(line));
            } else {
                console.result(String.format(Locale.ROOT, "wrote %s: %s, %d tensors, %s, %d bytes", file,
                        result.architecture(), result.tensorTypes().size(), dtype.label(), result.bytes()));
                if (modelfile != null) {
                    console.result("wrote " + modelfile + " (ollama create NAME -f " + modelfile + ")");
                }
            }
            return file;
        }
    }

    /** Puts the adapter in {@code dir} on {@code model} and folds it into the base weights (PEFT's merge_and_unload). */
    static void mergeInto(CausalLM model, Path dir, AdapterLoader adapters) {
        Method method = adapters.load(model, dir);
        if (!method.canMerge()) {
            throw new ConfigException(String.format("--adapter: the %s adapter in %s cannot be merged into the "
                    + "base weights", method.getClass().getSimpleName(), dir));
        }
        method.mergeAndUnload();
    }

    private static List<String> eosTexts(CausalLM model) {
        List<String> texts = new ArrayList<>();
        for (long id : model.tokenizer().eosTokenIds()) {
            texts.add(model.tokenizer().decode(new long[] {id}, false));
        }
        return texts;
    }
}
