package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code ft4j generate}: continues a prompt with a checkpoint, optionally with an adapter on it. */
public final class GenerationService {
    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public GenerationService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /**
     * Prints the continuation of {@code prompt}, or with {@code json} exactly
     * {@code {"prompt_ids": [...], "output_ids": [...], "text": "..."}} where {@code text} decodes the new
     * tokens without special tokens.
     */
    public GenerationResult generate(Path modelDir, AdapterLoader.Selection adapter, String prompt, GenerationConfig config,
                                     boolean json) {
        try (ModelHandle handle = models.load(modelDir, "--model")) {
            CausalLM model = handle.model();
            adapters.load(model, adapter);
            long[] promptIds = model.tokenizer().encode(prompt, true);
            GenerationResult result = Generator.generate(model, promptIds, config);
            String text = model.tokenizer().decode(result.outputIds(), true);
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prompt_ids", result.promptIds());
                line.put("output_ids", result.outputIds());
                line.put("text", text);
                console.result(JsonLine.of(line));
            } else {
                console.result(text);
            }
            return result;
        }
    }
}
