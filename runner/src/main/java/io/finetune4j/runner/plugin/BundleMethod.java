package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.NamedAdapters;
import io.finetune4j.api.method.ParameterGroup;
import io.finetune4j.api.method.StepInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A plugin's {@link Method} whose calls run with its bundle's class loader as context loader. */
final class BundleMethod implements Method {
    private final Method delegate;
    private final Bundle bundle;

    BundleMethod(Method delegate, Bundle bundle) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.bundle = requireNonNull(bundle, "bundle is null");
    }

    @Override public Map<String, NDArray> trainableParameters() { return bundle.call(delegate::trainableParameters); }

    @Override public long trainableParameterCount() { return bundle.call(delegate::trainableParameterCount); }

    @Override
    public Optional<NDArray> regularizationLoss(NDManager scope) {
        return bundle.call(() -> delegate.regularizationLoss(scope));
    }

    @Override
    public ParameterGroup parameterGroup(String name, ParameterGroup stage) {
        return bundle.call(() -> delegate.parameterGroup(name, stage));
    }

    @Override public void afterBackward(StepInfo step) { bundle.run(() -> delegate.afterBackward(step)); }

    @Override public void afterStep(StepInfo step) { bundle.run(() -> delegate.afterStep(step)); }

    @Override public boolean isAdapter() { return bundle.call(delegate::isAdapter); }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        bundle.run(() -> delegate.saveAdapter(dir, baseModelNameOrPath));
    }

    @Override public void loadAdapter(Path dir) { bundle.run(() -> delegate.loadAdapter(dir)); }

    @Override
    public Optional<NamedAdapters> namedAdapters() {
        return bundle.call(delegate::namedAdapters).map(named -> new NamedAdapters() {
            @Override public List<String> adapterNames() { return bundle.call(named::adapterNames); }

            @Override public List<String> activeAdapters() { return bundle.call(named::activeAdapters); }

            @Override public void loadAdapter(Path dir, String name) { bundle.run(() -> named.loadAdapter(dir, name)); }

            @Override public void setActiveAdapters(List<String> names) { bundle.run(() -> named.setActiveAdapters(names)); }

            @Override
            public void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String type) {
                bundle.run(() -> named.addWeightedAdapter(names, weights, newName, type));
            }

            @Override
            public void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String type,
                                           Double density, String majoritySignMethod) {
                bundle.run(() -> named.addWeightedAdapter(names, weights, newName, type, density, majoritySignMethod));
            }

            @Override public void deleteAdapter(String name) { bundle.run(() -> named.deleteAdapter(name)); }
        });
    }

    @Override public boolean canMerge() { return bundle.call(delegate::canMerge); }

    @Override public void mergeAndUnload() { bundle.run(delegate::mergeAndUnload); }
}
