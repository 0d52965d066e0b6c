package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** An objective provider whose every call, and every call into its objectives, runs in its bundle. */
final class BundleObjectiveProvider<C extends Record> implements ObjectiveProvider<C> {
    private final ObjectiveProvider<C> delegate;
    private final Bundle bundle;
    private final String id;
    private final String version;

    BundleObjectiveProvider(ObjectiveProvider<C> delegate, Bundle bundle, String id, String version) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.bundle = requireNonNull(bundle, "bundle is null");
        this.id = requireNonNull(id, "id is null");
        this.version = requireNonNull(version, "version is null");
    }

    @Override public String id() { return id; }

    @Override public String version() { return version; }

    @Override public String description() { return bundle.call(delegate::description); }

    @Override public Class<C> configType() { return bundle.call(delegate::configType); }

    @Override public C defaults() { return bundle.call(delegate::defaults); }

    @Override
    public void validate(C config, ConfigProblems problems) {
        bundle.run(() -> delegate.validate(config, problems));
    }

    @Override
    public Objective create(C config, ObjectiveContext context) {
        Objective objective = bundle.call(() -> delegate.create(config, context));
        return new Objective() {
            @Override public int exampleCount() { return bundle.call(objective::exampleCount); }

            @Override
            public ObjectiveStep compute(List<Integer> indices, NDManager step) {
                return bundle.call(() -> objective.compute(indices, step));
            }

            @Override
            public Map<String, NDArray> trainableParameters() {
                return bundle.call(objective::trainableParameters);
            }

            @Override public void save(Path stageDir) { bundle.run(() -> objective.save(stageDir)); }
        };
    }

    @Override
    public String toString() {
        return delegate.getClass().getName() + " from " + bundle.name();
    }
}
