package io.finetune4j.eval.perplexity;

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
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityEvaluatorTest {
    private static final Dataset DATA = new Dataset("eval.jsonl", List.of(
            new Example.Text("the cat sat on the mat", new Source("eval.jsonl", 1)),
            new Example.PromptCompletion("2+2=", "4", new Source("eval.jsonl", 2)),
            new Example.Text("hi", new Source("eval.jsonl", 3)),
            new Example.PromptCompletion("capital of France? ", "Paris", new Source("eval.jsonl", 4)),
            new Example.Text("a longer line of text to score", new Source("eval.jsonl", 5))));

    @TempDir
    Path dir;
    private HfTokenizer tokenizer;
    private CausalLM model;

    record Context(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress)
            implements EvalContext {}

    /** Counts what the evaluator reports. */
    static final class Progress implements ProgressListener {
        final List<String> events = new ArrayList<>();
        long advanced;

        @Override public void start(String task, long total) { events.add("start " + task + " " + total); }

        @Override public void advance(long steps, String message) { advanced += steps; }

        @Override public void finish() { events.add("finish"); }
    }

    @BeforeEach
    void setUp() {
        TokenizerFiles.writeByteLevel(dir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", null);
        tokenizer = HfTokenizer.load(dir);
        model = ModelFactory.random(ModelFactory.llamaConfig(tokenizer.vocabSize(), 8, 1, 2, 2, 16, 64),
                tokenizer, dir, 5, Device.cpu());
    }

    @AfterEach
    void tearDown() {
        model.close();
        tokenizer.close();
    }

    private Metric evaluate(int batchSize, int maxLength, Progress progress) {
        List<Metric> metrics = new PerplexityEvaluatorProvider().create(new PerplexityConfig(batchSize))
                .evaluate(new Context(model, DATA, maxLength, 1, progress));
        assertThat(metrics).extracting(Metric::name).containsExactly("perplexity");
        return metrics.get(0);
    }

    /** Σ NLL and token count of one row from unpadded, one-sequence scoring, truncated to maxLength. */
    private double[] reference(Example example, int maxLength) {
        long[] ids;
        int firstScored;
        if (example instanceof Example.Text text) {
            ids = tokenizer.encode(text.text(), true);
            firstScored = 1;
        } else {
            Example.PromptCompletion row = (Example.PromptCompletion) example;
            long[] prompt = tokenizer.encode(row.prompt(), true);
            long[] completion = tokenizer.encode(row.completion(), false);
            ids = Arrays.copyOf(prompt, prompt.length + completion.length);
            System.arraycopy(completion, 0, ids, prompt.length, completion.length);
            firstScored = prompt.length;
        }
        ids = Arrays.copyOf(ids, Math.min(ids.length, maxLength));
        double[] logProbs = TokenScorer.logProbs(model, ids);
        double nll = 0;
        int count = 0;
        for (int i = firstScored; i < ids.length; i++) {
            nll -= logProbs[i];
            count++;
        }
        return new double[] {nll, count};
    }

    @Test
    void perplexityIsExpOfTokenWeightedMeanNll() {
        double nll = 0;
        double tokens = 0;
        for (Example example : DATA.examples()) {
            double[] part = reference(example, 64);
            nll += part[0];
            tokens += part[1];
        }

        Metric metric = evaluate(2, 64, new Progress());

        assertThat(metric.size()).isEqualTo(5);
        assertThat(metric.higherIsBetter()).isFalse();
        assertThat(metric.value()).isCloseTo(Math.exp(nll / tokens), within(1e-4 * Math.exp(nll / tokens)));
        // the runner resamples examples: one example's value is its own perplexity
        double[] second = reference(DATA.examples().get(1), 64);
        assertThat(metric.valueOn(new int[] {1})).isCloseTo(Math.exp(second[0] / second[1]), within(1e-3));
    }

    @Test
    void batchSizeDoesNotChangeTheResult() {
        assertThat(evaluate(1, 64, new Progress()).value())
                .isCloseTo(evaluate(5, 64, new Progress()).value(), within(1e-4));
    }

    @Test
    void truncatesToMaxLength() {
        double nll = 0;
        double tokens = 0;
        for (Example example : DATA.examples()) {
            double[] part = reference(example, 6);
            nll += part[0];
            tokens += part[1];
        }

        assertThat(evaluate(3, 6, new Progress()).value()).isCloseTo(Math.exp(nll / tokens), within(1e-3));
    }

    @Test
    void reportsProgressPerExample() {
        Progress progress = new Progress();

        evaluate(2, 64, progress);

        assertThat(progress.events).containsExactly("start perplexity eval.jsonl 5", "finish");
        assertThat(progress.advanced).isEqualTo(5);
    }

    @Test
    void checkDataRejectsOtherRowKindsNamingFileAndLine() {
        Dataset data = new Dataset("eval.jsonl", List.of(new Example.Text("ok", new Source("eval.jsonl", 1)),
                new Example.Conversation(List.of(new Example.Message("user", "hi")), new Source("eval.jsonl", 2))));

        assertThatThrownBy(() -> new PerplexityEvaluatorProvider().create(new PerplexityConfig(8)).checkData(data))
                .isInstanceOf(ConfigException.class)
                .hasMessage("eval.jsonl:2: perplexity scores text or prompt/completion rows, found a Conversation row");
    }
}
