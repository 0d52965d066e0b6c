package io.finetune4j.eval.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
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
import io.finetune4j.eval.bleu.BleuEvaluatorProvider;
import io.finetune4j.eval.classification.ClassificationConfig;
import io.finetune4j.eval.classification.ClassificationEvaluatorProvider;
import io.finetune4j.eval.rouge.RougeEvaluatorProvider;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate path on a tiny random model: generations are scored exactly as scorePredictions scores them. */
class GeneratingEvaluatorTest {
    private static final Dataset DATA = new Dataset("eval.jsonl", List.of(
            new Example.PromptCompletion("2+2=", "4", new Source("eval.jsonl", 1)),
            new Example.PromptCompletion("capital of France? ", "Paris", new Source("eval.jsonl", 2)),
            new Example.PromptCompletion("say hi: ", "hi there", new Source("eval.jsonl", 3))));

    @TempDir
    Path dir;
    private HfTokenizer tokenizer;
    private CausalLM model;

    record Context(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress)
            implements EvalContext {}

    static final class Progress implements ProgressListener {
        final List<String> events = new ArrayList<>();

        @Override public void start(String task, long total) { events.add("start " + task + " " + total); }

        @Override public void advance(long steps, String message) { events.add("advance " + steps); }

        @Override public void finish() { events.add("finish"); }
    }

    @BeforeEach
    void setUp() {
        TokenizerFiles.writeByteLevel(dir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", null);
        tokenizer = HfTokenizer.load(dir);
        model = ModelFactory.random(ModelFactory.llamaConfig(tokenizer.vocabSize(), 8, 1, 2, 2, 16, 64),
                tokenizer, dir, 7, Device.cpu());
    }

    @AfterEach
    void tearDown() {
        model.close();
        tokenizer.close();
    }

    /** Greedy generation decoded independently: Generator + decode(skip special tokens). */
    private List<Prediction> independentPredictions(int maxNewTokens, boolean stopAtNewline) {
        List<Prediction> predictions = new ArrayList<>();
        for (Example example : DATA.examples()) {
            Example.PromptCompletion row = (Example.PromptCompletion) example;
            long[] out = Generator.generate(model, tokenizer.encode(row.prompt(), true),
                    GenerationConfig.greedy(maxNewTokens)).outputIds();
            String text = tokenizer.decode(out, true);
            if (stopAtNewline && text.indexOf('\n') >= 0) {
                text = text.substring(0, text.indexOf('\n'));
            }
            predictions.add(new Prediction(text, List.of(row.completion()), row.source()));
        }
        return predictions;
    }

    @Test
    void evaluateScoresGreedyGenerationsLikeScorePredictions() {
        BleuEvaluatorProvider provider = new BleuEvaluatorProvider();
        Evaluator evaluator = provider.create(new io.finetune4j.eval.bleu.BleuConfig(16, 0, 0, 1, 0, false));
        Progress progress = new Progress();

        List<Metric> generated = evaluator.evaluate(new Context(model, DATA, 64, 1, progress));
        List<Metric> expected = evaluator.scorePredictions(independentPredictions(16, false)).orElseThrow();

        assertThat(generated).extracting(Metric::name).containsExactly("bleu");
        assertThat(generated.get(0).value()).isCloseTo(expected.get(0).value(), within(1e-12));
        assertThat(progress.events).containsExactly("start bleu eval.jsonl 3", "advance 1", "advance 1", "advance 1",
                "finish");
    }

    @Test
    void stopAtNewlineCutsEachGeneration() {
        RougeEvaluatorProvider provider = new RougeEvaluatorProvider();
        var config = provider.defaults();
        var cut = new io.finetune4j.eval.rouge.RougeConfig(false, 8, 0, 0, 1, 0, true);
        Evaluator evaluator = provider.create(cut);

        List<Metric> generated = evaluator.evaluate(new Context(model, DATA, 64, 1, new Progress()));
        List<Metric> expected = evaluator.scorePredictions(independentPredictions(8, true)).orElseThrow();

        assertThat(config.stopAtNewline()).isFalse();
        for (int i = 0; i < 3; i++) {
            assertThat(generated.get(i).value()).isCloseTo(expected.get(i).value(), within(1e-12));
        }
        assertThat(PredictionGenerator.firstLine("a\nb")).isEqualTo("a");
        assertThat(PredictionGenerator.firstLine("ab")).isEqualTo("ab");
    }

    @Test
    void checkDataNamesTheFirstRowOfAnotherKind() {
        Dataset mixed = new Dataset("eval.jsonl", List.of(
                new Example.PromptCompletion("a", "b", new Source("eval.jsonl", 1)),
                new Example.Text("plain", new Source("eval.jsonl", 2))));
        BleuEvaluatorProvider provider = new BleuEvaluatorProvider();

        assertThatThrownBy(() -> provider.create(provider.defaults()).checkData(mixed))
                .isInstanceOf(ConfigException.class)
                .hasMessage("eval.jsonl:2: bleu needs prompt/completion rows (the completion is the reference), "
                        + "found a Text row");
    }

    /** loglik picks the label whose tokens have the largest summed log-probability after the prompt. */
    @Test
    void loglikModePicksTheMostLikelyLabel() {
        List<String> labels = List.of("yes", "no", "maybe");
        Dataset data = new Dataset("cls.jsonl", List.of(
                new Example.Labelled("Is it? ", "yes", new Source("cls.jsonl", 1)),
                new Example.Labelled("Really? ", "no", new Source("cls.jsonl", 2))));
        ClassificationEvaluatorProvider provider = new ClassificationEvaluatorProvider();
        Evaluator evaluator = provider.create(new ClassificationConfig(labels, "loglik", 8, 0, 0, 1, 0, false));

        List<Metric> metrics = evaluator.evaluate(new Context(model, data, 64, 1, new Progress()));

        double correct = 0;
        for (Example example : data.examples()) {
            Example.Labelled row = (Example.Labelled) example;
            long[] prompt = tokenizer.encode(row.prompt(), true);
            int best = -1;
            double bestSum = Double.NEGATIVE_INFINITY;
            for (int l = 0; l < labels.size(); l++) {
                long[] label = tokenizer.encode(labels.get(l), false);
                long[] ids = new long[prompt.length + label.length];
                System.arraycopy(prompt, 0, ids, 0, prompt.length);
                System.arraycopy(label, 0, ids, prompt.length, label.length);
                double[] logProbs = TokenScorer.logProbs(model, ids);
                double sum = 0;
                for (int t = prompt.length; t < ids.length; t++) {
                    sum += logProbs[t];
                }
                if (sum > bestSum) {
                    bestSum = sum;
                    best = l;
                }
            }
            correct += labels.get(best).equals(row.label()) ? 1 : 0;
        }
        assertThat(metrics.get(0).name()).isEqualTo("accuracy");
        assertThat(metrics.get(0).value()).isCloseTo(correct / 2, within(1e-12));
    }
}
