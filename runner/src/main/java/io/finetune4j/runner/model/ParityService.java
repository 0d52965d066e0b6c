package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.io.gguf.GgufModels;
import io.finetune4j.runtime.io.gguf.GgufReader;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ft4j parity}: the same prompts through the adapted model (base + adapter, unmerged), the merged model
 * (the adapter folded in, in memory) and, when given, a GGUF file read back into a runtime model. Per artefact:
 * the max |Δ logit| against the adapted model over every position of every prompt, the agreement of a greedy
 * continuation of {@value #NEW_TOKENS} tokens with the adapted model's, and the perplexity of the prompts.
 */
public final class ParityService {
    static final int NEW_TOKENS = 16;
    /** The default tolerance of max |Δ logit|, of {@code ft4j parity} and of a stage's {@code output.parity}. */
    public static final double DEFAULT_TOLERANCE = StageSpec.DEFAULT_PARITY_TOLERANCE;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public ParityService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** One artefact's numbers. */
    public record Row(String artefact, double maxAbsLogitDifference, double greedyAgreement, double perplexity) {}

    /** What one prompt gives on one artefact. */
    private record Measure(float[] logits, long[] greedy, double logProbSum, int scored) {}

    /** What a list of prompts gives on one artefact: logits, greedy continuations, log-likelihoods. */
    public static final class Measured {
        private final List<Measure> measures;

        private Measured(List<Measure> measures) {
            this.measures = List.copyOf(measures);
        }
    }

    /** Runs {@code prompts} through {@code model} (as it is now: adapted, merged or loaded back). */
    public static Measured measure(CausalLM model, List<String> prompts) {
        List<long[]> ids = new ArrayList<>();
        for (String prompt : prompts) {
            ids.add(model.tokenizer().encode(prompt, true));
        }
        return new Measured(measureIds(model, ids));
    }

    /** {@code measured}'s row named {@code artefact}, against {@code reference} (the adapted model). */
    public static Row row(String artefact, Measured measured, Measured reference) {
        return row(artefact, measured.measures, reference.measures);
    }

    /** Runs the comparison, prints the table; returns the rows (adapted first). */
    public List<Row> compare(Path modelDir, Path adapterDir, Optional<Path> gguf, Path promptsFile) {
        List<String> prompts = readPrompts(promptsFile);
        try (ModelHandle handle = models.load(modelDir, "--model")) {
            CausalLM model = handle.model();
            List<long[]> ids = new ArrayList<>();
            for (String prompt : prompts) {
                ids.add(model.tokenizer().encode(prompt, true));
            }
            io.finetune4j.api.method.Method method = adapters.load(model, adapterDir);
            if (!method.canMerge()) {
                throw new ConfigException(String.format("--adapter: the %s adapter in %s cannot be merged into the "
                        + "base weights, so there is no merged artefact to compare", method.getClass().getSimpleName(), adapterDir));
            }
            List<Measure> adapted = measureIds(model, ids);
            method.mergeAndUnload();
            List<Row> rows = new ArrayList<>();
            rows.add(row("adapted", adapted, adapted));
            rows.add(row("merged", measureIds(model, ids), adapted));
            if (gguf.isPresent()) {
                try (CausalLM back = GgufModels.load(GgufReader.read(gguf.get()), model.config(), model.tokenizer(), null,
                        model.device())) {
                    rows.add(row("gguf", measureIds(back, ids), adapted));
                }
            }
            return rows;
        }
    }

    /** Prints {@code rows}; returns 0 when every artefact is within {@code tolerance}, else 2 naming those beyond. */
    public int report(List<Row> rows, double tolerance, Optional<Path> gguf, boolean json) {
        List<String> beyond = new ArrayList<>();
        for (Row row : rows) {
            if (!(row.maxAbsLogitDifference() <= tolerance)) {
                beyond.add(row.artefact().equals("gguf") ? "gguf (" + gguf.orElseThrow() + ")" : row.artefact());
            }
        }
        if (json) {
            for (Row row : rows) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("artefact", row.artefact());
                line.put("max_abs_logit_difference", row.maxAbsLogitDifference());
                line.put("greedy_agreement", row.greedyAgreement());
                line.put("perplexity", row.perplexity());
                line.put("within_tolerance", row.maxAbsLogitDifference() <= tolerance);
                console.result(JsonLine.of(line));
            }
        } else {
            console.result(String.format(Locale.ROOT, "%-9s %14s %17s %12s", "artefact", "max |Δ logit|", "greedy agreement",
                    "perplexity"));
            for (Row row : rows) {
                console.result(String.format(Locale.ROOT, "%-9s %14.3g %17.3f %12.4f", row.artefact(),
                        row.maxAbsLogitDifference(), row.greedyAgreement(), row.perplexity()));
            }
        }
        if (beyond.isEmpty()) {
            console.status(String.format(Locale.ROOT, "parity: every artefact within tolerance %.3g", tolerance));
            return 0;
        }
        console.warning(String.format(Locale.ROOT, "parity: %s beyond tolerance %.3g of max |Δ logit| against the "
                + "adapted model", String.join(", ", beyond), tolerance));
        return 2;
    }

    private static Row row(String artefact, List<Measure> measures, List<Measure> reference) {
        double maxDiff = 0;
        long agreeing = 0;
        long compared = 0;
        double logProbs = 0;
        long scored = 0;
        for (int p = 0; p < measures.size(); p++) {
            Measure measure = measures.get(p);
            Measure ref = reference.get(p);
            for (int i = 0; i < ref.logits().length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs((double) measure.logits()[i] - ref.logits()[i]));
            }
            int length = Math.max(measure.greedy().length, ref.greedy().length);
            for (int i = 0; i < length; i++) {
                if (i < measure.greedy().length && i < ref.greedy().length && measure.greedy()[i] == ref.greedy()[i]) {
                    agreeing++;
                }
            }
            compared += length;
            logProbs += measure.logProbSum();
            scored += measure.scored();
        }
        return new Row(artefact, maxDiff, compared == 0 ? 1 : (double) agreeing / compared,
                scored == 0 ? Double.NaN : Math.exp(-logProbs / scored));
    }

    private static List<Measure> measureIds(CausalLM model, List<long[]> prompts) {
        List<Measure> measures = new ArrayList<>();
        int vocab = model.config().vocabSize();
        for (long[] ids : prompts) {
            float[] logits;
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray input = scope.create(ids, new Shape(1, ids.length));
                logits = model.forward(ForwardInput.of(input)).logits().toFloatArray(); // [1, seq, vocab]
            }
            double sum = 0;
            for (int t = 1; t < ids.length; t++) {
                sum += logSoftmax(logits, (t - 1) * vocab, vocab, (int) ids[t]);
            }
            long[] greedy = Generator.generate(model, ids, GenerationConfig.greedy(NEW_TOKENS)).outputIds();
            measures.add(new Measure(logits, greedy, sum, ids.length - 1));
        }
        return measures;
    }

    /** {@code log softmax(row)[target]} in double precision. */
    private static double logSoftmax(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + target] - max - Math.log(sum);
    }

    /** JSONL lines of {@code {"prompt": ...}} or {@code {"text": ...}}; a {@link ConfigException} names the line. */
    static List<String> readPrompts(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new ConfigException("--prompts: cannot read " + file + ": " + e.getMessage(), e);
        }
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                throw new ConfigException(file + ":" + (i + 1) + ": not valid JSON: " + e.getMessage(), e);
            }
            JsonNode text = node.has("prompt") ? node.get("prompt") : node.get("text");
            if (text == null || !text.isTextual() || text.asText().isEmpty()) {
                throw new ConfigException(file + ":" + (i + 1) + ": expected {\"prompt\": \"...\"} or {\"text\": \"...\"}");
            }
            prompts.add(text.asText());
        }
        if (prompts.isEmpty()) {
            throw new ConfigException("--prompts: " + file + " holds no prompts");
        }
        return prompts;
    }
}
