package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ft4j merge}: folds an adapter into its base and writes a plain Hugging Face checkpoint (PEFT's
 * {@code merge_and_unload} + {@code save_pretrained}). The logits of a probe text are compared before and
 * after merging, so the output says how exactly the merged model reproduces the adapted one.
 */
public final class MergeService {
    static final String PROBE = "The quick brown fox jumps over the lazy dog. 12 + 30 = 42.";

    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public MergeService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** Merges {@code adapterDir} into {@code modelDir} and saves the result to {@code output}; returns the max logit difference. */
    public double merge(Path modelDir, Path adapterDir, Path output, boolean json) {
        return merge(modelDir, null, adapterDir, output, json);
    }

    /** {@link #merge(Path, Path, Path, boolean)} with the tokenizer of {@code tokenizerDir} (saved with the result) when not null. */
    public double merge(Path modelDir, Path tokenizerDir, Path adapterDir, Path output, boolean json) {
        if (Files.exists(output.resolve("config.json"))) {
            throw new ConfigException("--output: " + output + " already holds a model; choose a new directory");
        }
        try (ModelHandle handle = models.load(modelDir, tokenizerDir, "--model")) {
            CausalLM model = handle.model();
            Method method = adapters.load(model, adapterDir);
            if (!method.canMerge()) {
                throw new ConfigException(String.format("--adapter: the %s adapter in %s cannot be merged into the "
                        + "base weights; use it with --adapter instead", method.getClass().getSimpleName(), adapterDir));
            }
            long[] probe = probe(model);
            float[] adapted = logits(model, probe);
            method.mergeAndUnload();
            float[] merged = logits(model, probe);
            double maxDiff = 0;
            for (int i = 0; i < adapted.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(adapted[i] - merged[i]));
            }
            models.save(model, output);
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("output", output.toString());
                line.put("probe_tokens", probe.length);
                line.put("max_abs_logit_difference", maxDiff);
                console.result(JsonLine.of(line));
            } else {
                console.result(String.format(Locale.ROOT, "merged %s into %s; saved to %s", adapterDir, modelDir, output));
                console.result(String.format(Locale.ROOT, "merged vs adapted logits on a %d-token probe: max |difference| %.3g",
                        probe.length, maxDiff));
            }
            return maxDiff;
        }
    }

    /** The probe text's ids, or the first ids of the vocabulary when the checkpoint has no tokenizer files. */
    private static long[] probe(CausalLM model) {
        if (model.tokenizer() instanceof IdsOnlyTokenizer) {
            return java.util.stream.LongStream.range(0, Math.min(16, model.config().vocabSize())).toArray();
        }
        return model.tokenizer().encode(PROBE, true);
    }

    private static float[] logits(CausalLM model, long[] ids) {
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            return model.forward(ForwardInput.of(input)).logits().toFloatArray();
        }
    }
}
