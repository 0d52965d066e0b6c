package io.finetune4j.eval.perplexity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.SequenceBuilder;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Perplexity {@code exp(Σ NLL / Σ tokens)}, weighted by tokens over the whole dataset (not a mean of
 * per-example perplexities). A text row scores every token after the first ({@code encode(text)} with the
 * tokenizer's special tokens, no EOS added); a prompt/completion row scores only the completion's tokens
 * given the prompt. Sequences are truncated to the context's {@code max_length}, keeping the first tokens;
 * a row left with nothing to score counts zero tokens. Returned as a {@link Metric#ratio} of per-example
 * NLL sums over per-example token counts, so the runner can bootstrap it.
 */
final class PerplexityEvaluator implements Evaluator {
    private final PerplexityConfig config;

    PerplexityEvaluator(PerplexityConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        for (Example example : data.examples()) {
            if (!(example instanceof Example.Text || example instanceof Example.PromptCompletion)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: perplexity scores text or prompt/completion rows, found a %s row",
                        example.source(), example.getClass().getSimpleName()));
            }
        }
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        Dataset data = context.data();
        checkData(data);
        CausalLM model = context.model();
        List<TokenizedExample> examples = new ArrayList<>();
        for (Example example : data.examples()) {
            examples.add(tokenize(model.tokenizer(), example).truncate(context.maxLength()));
        }
        double[] nll = new double[examples.size()];
        double[] tokens = new double[examples.size()];
        ProgressListener progress = context.progress();
        progress.start("perplexity " + data.name(), examples.size());
        try {
            for (int start = 0; start < examples.size(); start += config.batchSize()) {
                int end = Math.min(examples.size(), start + config.batchSize());
                scoreBatch(model, examples.subList(start, end), start, nll, tokens);
                progress.advance(end - start, "");
            }
        } finally {
            progress.finish();
        }
        return List.of(Metric.ratio("perplexity", nll, tokens, Math::exp, false));
    }

    /** Fills {@code nll[offset + i]} and {@code tokens[offset + i]} for the batch's rows. */
    private static void scoreBatch(CausalLM model, List<TokenizedExample> rows, int offset, double[] nll,
                                   double[] tokens) {
        List<TokenizedExample> scorable = rows.stream().filter(row -> row.length() >= 2).toList();
        if (scorable.isEmpty()) {
            return; // nothing predicts a lone token: those rows count zero tokens
        }
        try (NDManager batchScope = model.manager().newSubManager()) {
            CausalLmBatch batch = CausalLmCollator.collate(scorable, model.tokenizer().padTokenId(), batchScope);
            ForwardInput input = ForwardInput.of(batch.inputIds())
                    .withAttentionMask(batch.attentionMask());
            NDArray logProbs = model.scoreTargets(input, batch.targetIds()).logProbs();     // [batch, seq - 1]
            // summed in double on the Java side: long texts add up thousands of float32 terms
            float[] masked = logProbs.mul(batch.targetMask()).toFloatArray();            // [batch * (seq - 1)]
            int positions = Math.toIntExact(batch.sequenceLength() - 1);
            int row = 0;
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).length() < 2) {
                    continue;
                }
                double sum = 0;
                for (int t = 0; t < positions; t++) {
                    sum += masked[row * positions + t];
                }
                nll[offset + i] = -sum;
                tokens[offset + i] = rows.get(i).targetCount();
                row++;
            }
        }
    }

    static TokenizedExample tokenize(TextTokenizer tokenizer, Example example) {
        if (example instanceof Example.Text text) {
            return TokenizedExample.allTargets(tokenizer.encode(text.text(), true), example.source());
        }
        if (example instanceof Example.PromptCompletion row) {
            return new SequenceBuilder()
                    .add(tokenizer.encode(row.prompt(), true), false)
                    .add(tokenizer.encode(row.completion(), false), true)
                    .build(example.source());
        }
        throw new IllegalArgumentException("unchecked row kind " + example.getClass().getSimpleName());
    }
}
