package io.finetune4j.eval.generation;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A text metric on generations: checks for prompt/completion rows, generates a prediction per row and
 * scores the predictions with the same function {@code ft4j metrics} calls.
 */
public final class GeneratingEvaluator implements Evaluator {
    private final String id;
    private final GenerationOptions options;
    private final Function<List<Prediction>, List<Metric>> scorer;

    public GeneratingEvaluator(String id, GenerationOptions options, Function<List<Prediction>, List<Metric>> scorer) {
        this.id = id;
        this.options = options;
        this.scorer = scorer;
    }

    @Override
    public void checkData(Dataset data) {
        PredictionGenerator.requirePromptCompletion(data, id);
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        List<Example.PromptCompletion> rows = PredictionGenerator.requirePromptCompletion(context.data(), id);
        return scorer.apply(PredictionGenerator.generate(context, rows, options, id));
    }

    @Override
    public Optional<List<Metric>> scorePredictions(List<Prediction> predictions) {
        return Optional.of(scorer.apply(predictions));
    }
}
