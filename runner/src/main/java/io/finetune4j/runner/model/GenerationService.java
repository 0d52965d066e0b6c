package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
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
        return generate(modelDir, null, adapter, prompt, null, config, json);
    }

    /**
     * Like {@link #generate(Path, AdapterLoader.Selection, String, GenerationConfig, boolean)} with the tokenizer of
     * {@code tokenizerDir} when not null, from {@code promptIds} as given when not null (then a checkpoint without
     * tokenizer files works: {@code text} is null and the plain output prints the ids).
     */
    public GenerationResult generate(Path modelDir, Path tokenizerDir, AdapterLoader.Selection adapter, String prompt,
                                     long[] promptIds, GenerationConfig config, boolean json) {
        try (ModelHandle handle = models.load(modelDir, tokenizerDir, "--model")) {
            CausalLM model = handle.model();
            adapters.load(model, adapter);
            long[] ids = promptIds != null ? checkIds(promptIds, model.config().vocabSize())
                    : model.tokenizer().encode(prompt, true);
            GenerationResult result = Generator.generate(model, ids, config);
            String text = model.tokenizer() instanceof IdsOnlyTokenizer ? null
                    : model.tokenizer().decode(result.outputIds(), true);
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prompt_ids", result.promptIds());
                line.put("output_ids", result.outputIds());
                line.put("text", text);
                console.result(JsonLine.of(line));
            } else {
                console.result(text != null ? text : java.util.Arrays.toString(result.outputIds()));
            }
            return result;
        }
    }

    private static long[] checkIds(long[] ids, int vocabSize) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new ConfigException(String.format(
                        "--prompt-ids: id %d at position %d is outside the vocabulary [0, %d)", ids[i], i, vocabSize));
            }
        }
        return ids;
    }
}
