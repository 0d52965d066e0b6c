package io.finetune4j.eval.classification;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.eval.generation.PredictionGenerator;
import io.finetune4j.eval.generation.ResampledMetric;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.TokenScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Classification accuracy on labelled rows ({@code prompt}+{@code label}, or prompt/completion with the
 * completion as the label). Metrics: {@code accuracy}, {@code macro_f1}, {@code micro_f1} (0-1),
 * {@code precision/<label>} and {@code recall/<label>} per label, and the confusion matrix as count
 * metrics {@code confusion/<gold>/<predicted>} ({@code <predicted>} is {@code <none>} when no label could
 * be read from the text). Every metric is recomputed from the resampled examples.
 */
final class ClassificationEvaluator implements Evaluator {
    static final String NONE = "<none>";

    private final ClassificationConfig config;
    private final LabelReader reader;

    ClassificationEvaluator(ClassificationConfig config) {
        this.config = config;
        this.reader = new LabelReader(config.labels());
    }

    @Override
    public void checkData(Dataset data) {
        requireLabels();
        for (Example example : data.examples()) {
            goldIndex(goldOf(example), example.source());
        }
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        checkData(context.data());
        CausalLM model = context.model();
        TextTokenizer tokenizer = model.tokenizer();
        GenerationConfig generation = config.generation().toConfig();
        ProgressListener progress = context.progress();
        List<Prediction> predictions = new ArrayList<>();
        progress.start("accuracy " + context.data().name(), context.data().size());
        try {
            for (Example example : context.data().examples()) {
                String prompt = promptOf(example);
                String text = "loglik".equals(config.mode())
                        ? config.labels().get(mostLikelyLabel(model, tokenizer, prompt))
                        : PredictionGenerator.generateOne(model, tokenizer, prompt, generation,
                                config.stopAtNewline());
                predictions.add(new Prediction(text, List.of(goldOf(example)), example.source()));
                progress.advance(1, "");
            }
        } finally {
            progress.finish();
        }
        return score(predictions);
    }

    @Override
    public java.util.Optional<List<Metric>> scorePredictions(List<Prediction> predictions) {
        return java.util.Optional.of(score(predictions));
    }

    List<Metric> score(List<Prediction> predictions) {
        requireLabels();
        int n = predictions.size();
        int[] gold = new int[n];
        int[] predicted = new int[n];
        for (int i = 0; i < n; i++) {
            Prediction p = predictions.get(i);
            if (p.references().size() != 1) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: accuracy needs exactly one reference label per row, found %d", p.source(),
                        p.references().size()));
            }
            gold[i] = goldIndex(p.references().get(0), p.source());
            predicted[i] = reader.read(p.prediction());
        }
        List<String> labels = config.labels();
        int k = labels.size();
        List<Metric> metrics = new ArrayList<>();
        metrics.add(metric("accuracy", n, gold, predicted, ConfusionMatrix::accuracy));
        metrics.add(metric("macro_f1", n, gold, predicted, ConfusionMatrix::macroF1));
        metrics.add(metric("micro_f1", n, gold, predicted, ConfusionMatrix::microF1));
        for (int l = 0; l < k; l++) {
            int label = l;
            metrics.add(metric("precision/" + labels.get(l), n, gold, predicted, m -> m.precision(label)));
            metrics.add(metric("recall/" + labels.get(l), n, gold, predicted, m -> m.recall(label)));
        }
        boolean anyNone = java.util.Arrays.stream(predicted).anyMatch(p -> p < 0);
        for (int g = 0; g < k; g++) {
            for (int p = anyNone ? -1 : 0; p < k; p++) {
                int goldLabel = g;
                int predictedLabel = p;
                String name = "confusion/" + labels.get(g) + "/" + (p < 0 ? NONE : labels.get(p));
                metrics.add(ResampledMetric.of(name, n, g == p, indices ->
                        ConfusionMatrix.of(k, gold, predicted, indices).count(goldLabel, predictedLabel)));
            }
        }
        return metrics;
    }

    private Metric metric(String name, int n, int[] gold, int[] predicted,
                          java.util.function.ToDoubleFunction<ConfusionMatrix> value) {
        int k = config.labels().size();
        return ResampledMetric.of(name, n, true,
                indices -> value.applyAsDouble(ConfusionMatrix.of(k, gold, predicted, indices)));
    }

    /** Sum of log p(label tokens | prompt) for each label; the index of the largest (first on ties). */
    private int mostLikelyLabel(CausalLM model, TextTokenizer tokenizer, String prompt) {
        long[] promptIds = tokenizer.encode(prompt, true);
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < config.labels().size(); l++) {
            long[] labelIds = tokenizer.encode(config.labels().get(l), false);
            long[] ids = new long[promptIds.length + labelIds.length];
            System.arraycopy(promptIds, 0, ids, 0, promptIds.length);
            System.arraycopy(labelIds, 0, ids, promptIds.length, labelIds.length);
            double[] logProbs = TokenScorer.logProbs(model, ids);
            double sum = 0;
            for (int t = Math.max(promptIds.length, 1); t < ids.length; t++) {
                sum += logProbs[t];
            }
            if (sum > bestScore) {
                bestScore = sum;
                best = l;
            }
        }
        return best;
    }

    private void requireLabels() {
        if (config.labels().isEmpty()) {
            throw new ConfigException("accuracy: labels: must list the label set, e.g. labels: [positive, negative]");
        }
    }

    private int goldIndex(String label, Source source) {
        int index = reader.exact(label);
        if (index < 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: label '%s' is not one of the configured labels %s", source, label, config.labels()));
        }
        return index;
    }

    private static String goldOf(Example example) {
        if (example instanceof Example.Labelled row) {
            return row.label();
        }
        if (example instanceof Example.PromptCompletion row) {
            return row.completion();
        }
        throw new ConfigException(String.format(Locale.ROOT,
                "%s: accuracy needs labelled rows (prompt + label) or prompt/completion rows, found a %s row",
                example.source(), example.getClass().getSimpleName()));
    }

    private static String promptOf(Example example) {
        return example instanceof Example.Labelled row ? row.prompt() : ((Example.PromptCompletion) example).prompt();
    }
}
