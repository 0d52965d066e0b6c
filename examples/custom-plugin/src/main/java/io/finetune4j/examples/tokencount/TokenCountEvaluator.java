package io.finetune4j.examples.tokencount;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.TextTokenizer;
import java.util.List;

/**
 * Counts tokens per example. The result is a {@link Metric#mean} of per-example counts, so the runner
 * can put a bootstrap confidence interval around it like around any other metric.
 */
final class TokenCountEvaluator implements Evaluator {
    private final TokenCountConfig config;

    TokenCountEvaluator(TokenCountConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        for (Example example : data.examples()) {
            if (!(example instanceof Example.Text || example instanceof Example.PromptCompletion)) {
                throw new ConfigException(example.source() + ": token-count counts text or prompt/completion rows, found a "
                        + example.getClass().getSimpleName() + " row");
            }
        }
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        Dataset data = context.data();
        checkData(data);
        TextTokenizer tokenizer = context.model().tokenizer();
        double[] counts = new double[data.size()];
        ProgressListener progress = context.progress();
        progress.start("token-count " + data.name(), data.size());
        try {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = tokenizer.encode(textOf(data.examples().get(i)), config.addSpecialTokens()).length;
                progress.advance(1, "");
            }
        } finally {
            progress.finish();
        }
        return List.of(Metric.mean("tokens_per_example", counts, false));
    }

    private String textOf(Example example) {
        if (example instanceof Example.PromptCompletion row) {
            return config.part().equals("completion") ? row.completion() : row.prompt() + row.completion();
        }
        return ((Example.Text) example).text();
    }
}
