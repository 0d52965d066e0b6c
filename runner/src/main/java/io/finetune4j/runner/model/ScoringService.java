package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code ft4j score}: the log-probability of every token of a text under a model, and its perplexity. */
public final class ScoringService {
    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public ScoringService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** What to score: a text (tokenized with the model's special-token rules) or token ids as given. */
    public sealed interface Input {
        record Text(String text) implements Input {}

        record Ids(long[] ids) implements Input {}
    }

    /**
     * Prints one line per token and the perplexity, or with {@code json} exactly
     * {@code {"ids": [...], "logprobs": [null, ...], "perplexity": x}}; the first token has no
     * log-probability. Perplexity is {@code exp} of the mean negative log-probability of tokens 1..n-1.
     */
    public double[] score(Path modelDir, AdapterLoader.Selection adapter, Input input, boolean json) {
        return score(modelDir, null, adapter, input, json);
    }

    /** {@link #score(Path, AdapterLoader.Selection, Input, boolean)} with the tokenizer of {@code tokenizerDir} when not null. */
    public double[] score(Path modelDir, Path tokenizerDir, AdapterLoader.Selection adapter, Input input, boolean json) {
        try (ModelHandle handle = models.load(modelDir, tokenizerDir, "--model")) {
            CausalLM model = handle.model();
            adapters.load(model, adapter);
            long[] ids = input instanceof Input.Text text
                    ? model.tokenizer().encode(text.text(), true)
                    : checkIds(((Input.Ids) input).ids(), model.config().vocabSize());
            if (ids.length < 2) {
                throw new ConfigException(String.format(
                        "%s: needs at least 2 tokens to score (the first has no context), got %d",
                        input instanceof Input.Text ? "--text" : "--ids", ids.length));
            }
            double[] logProbs = TokenScorer.logProbs(model, ids);
            double perplexity = perplexity(logProbs);
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("ids", ids);
                line.put("logprobs", JsonLine.finiteOrNull(logProbs));
                line.put("perplexity", Double.isFinite(perplexity) ? perplexity : null);
                console.result(JsonLine.of(line));
            } else {
                for (int i = 0; i < ids.length; i++) {
                    // Without tokenizer files there is no text to show: the id column says it all.
                    String token = model.tokenizer() instanceof IdsOnlyTokenizer
                            ? "" : printable(model.tokenizer().decode(new long[] {ids[i]}, false));
                    console.result(String.format(Locale.ROOT, "%5d %8d %10s  %s", i, ids[i],
                            i == 0 ? "-" : String.format(Locale.ROOT, "%.4f", logProbs[i]), token).stripTrailing());
                }
                console.result(String.format(Locale.ROOT, "perplexity: %.4f", perplexity));
            }
            return logProbs;
        }
    }

    /** {@code exp(-mean(logProbs[1..]))}. */
    public static double perplexity(double[] logProbs) {
        double sum = 0;
        for (int i = 1; i < logProbs.length; i++) {
            sum += logProbs[i];
        }
        return Math.exp(-sum / (logProbs.length - 1));
    }

    private static long[] checkIds(long[] ids, int vocabSize) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new ConfigException(String.format(
                        "--ids: id %d at position %d is outside the vocabulary [0, %d)", ids[i], i, vocabSize));
            }
        }
        return ids;
    }

    private static String printable(String token) {
        return '"' + token.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") + '"';
    }
}
