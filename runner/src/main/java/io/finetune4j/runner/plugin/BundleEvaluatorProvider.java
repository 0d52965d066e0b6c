package io.finetune4j.runner.plugin;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.List;
import java.util.Optional;

/** An evaluator provider whose every call, down to each metric's resampling, runs in its bundle. */
final class BundleEvaluatorProvider<C extends Record> extends BundleProvider<C, EvaluatorProvider<C>>
        implements EvaluatorProvider<C> {
    BundleEvaluatorProvider(EvaluatorProvider<C> delegate, Bundle bundle, String id, String version) {
        super(delegate, bundle, id, version);
    }

    @Override
    public List<String> predictionMetricNames() {
        return bundle.call(delegate::predictionMetricNames);
    }

    @Override
    public Evaluator create(C config) {
        Evaluator evaluator = bundle.call(() -> delegate.create(config));
        return new Evaluator() {
            @Override public void checkData(Dataset data) { bundle.run(() -> evaluator.checkData(data)); }

            @Override
            public List<Metric> evaluate(EvalContext context) {
                return bundle.call(() -> evaluator.evaluate(context)).stream().map(this::inBundle).toList();
            }

            @Override
            public Optional<List<Metric>> scorePredictions(List<Prediction> predictions) {
                return bundle.call(() -> evaluator.scorePredictions(predictions))
                        .map(metrics -> metrics.stream().map(this::inBundle).toList());
            }

            private Metric inBundle(Metric metric) {
                return new Metric() {
                    @Override public String name() { return bundle.call(metric::name); }

                    @Override public int size() { return bundle.call(metric::size); }

                    @Override public double value() { return bundle.call(metric::value); }

                    @Override public double valueOn(int[] indices) { return bundle.call(() -> metric.valueOn(indices)); }

                    @Override public boolean higherIsBetter() { return bundle.call(metric::higherIsBetter); }
                };
            }
        };
    }
}
