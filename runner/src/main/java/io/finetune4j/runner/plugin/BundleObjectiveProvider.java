package io.finetune4j.runner.plugin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** An objective provider whose every call, and every call into its objectives, runs in its bundle. */
final class BundleObjectiveProvider<C extends Record> extends BundleProvider<C, ObjectiveProvider<C>>
        implements ObjectiveProvider<C> {
    BundleObjectiveProvider(ObjectiveProvider<C> delegate, Bundle bundle, String id, String version) {
        super(delegate, bundle, id, version);
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

            @Override
            public boolean addsMethodRegularization() {
                return bundle.call(objective::addsMethodRegularization);
            }
        };
    }
}
