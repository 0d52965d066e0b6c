package io.finetune4j.alignment.preference;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.finetune4j.alignment.dpo.DpoConfig;
import io.finetune4j.alignment.dpo.DpoObjectiveProvider;
import io.finetune4j.alignment.orpo.OrpoConfig;
import io.finetune4j.alignment.orpo.OrpoObjectiveProvider;
import io.finetune4j.alignment.reward.RewardConfig;
import io.finetune4j.alignment.reward.RewardObjectiveProvider;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.objective.Objective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The STACK.md scalar trap: a GC forced between forward and backward must not turn gradients into NaN, which
 * it would if any loss used {@code NDArray.mul(Number)}-style scalars.
 */
class AutogradSafetyTest {
    private static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green."},
            new String[] {"Q: 2+2?\nA:", " 4.", " five"});

    @TempDir
    Path dir;

    @Test
    void gradientsStayFiniteWithAGcBetweenForwardAndBackward() {
        try (PreferenceTestModel lm = new PreferenceTestModel(dir, 3)) {
            java.nio.file.Path reference = dir.resolve("reference");
            io.finetune4j.runtime.model.ModelLoader.save(lm.model, reference);
            Map<String, NDArray> parameters = new LinkedHashMap<>(lm.model.parameters());
            parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
            List<Objective> objectives = List.of(
                    new DpoObjectiveProvider().create(new DpoConfig(0.1, "robust", 0.2, "adapters-disabled", true),
                            lm.context(64, DATA)),
                    new DpoObjectiveProvider().create(new DpoConfig(0.1, "ipo", 0.0, "adapters-disabled", true),
                            lm.context(64, DATA)),
                    new OrpoObjectiveProvider().create(new OrpoConfig(0.1, true), lm.context(64, DATA)),
                    new RewardObjectiveProvider().create(new RewardConfig(0.5, 0.01, true), lm.context(64, DATA)),
                    // every DPO loss type at once, with LD-DPO and RPO
                    new DpoObjectiveProvider().create(new DpoConfig(0.1, DpoConfigs.ALL_LOSS_TYPES, List.of(), 0.1,
                            "adapters-disabled", true, true, "keep_start", 0.5, 0.5, 0.05), lm.context(64, DATA)),
                    new io.finetune4j.alignment.cpo.CpoObjectiveProvider().create(
                            new io.finetune4j.alignment.cpo.CpoConfig(0.1, 0.1, "sigmoid", 1.0, 0.5, true),
                            lm.context(64, DATA)),
                    new io.finetune4j.alignment.cpo.SimpoObjectiveProvider().create(
                            new io.finetune4j.alignment.cpo.CpoConfig(2.0, 0.0, "simpo", 0.0, 1.0, true),
                            lm.context(64, DATA)),
                    new io.finetune4j.alignment.kto.KtoObjectiveProvider().create(
                            new io.finetune4j.alignment.kto.KtoConfig(0.1, "kto", 1.0, 1.0, reference.toString(), true),
                            lm.context(64, DATA)));
            for (Objective objective : objectives) {
                List<NDArray> trainable = new ArrayList<>(parameters.values());
                trainable.addAll(objective.trainableParameters().values());
                try (NDManager step = lm.model.manager().newSubManager();
                     GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    trainable.forEach(parameter -> parameter.getGradient().subi(parameter.getGradient()));
                    NDArray loss = objective.compute(List.of(0, 1), step).loss();
                    System.gc();
                    System.runFinalization();
                    collector.backward(loss);
                }
                double norm = 0;
                for (NDArray parameter : trainable) {
                    float[] gradient = parameter.getGradient().toFloatArray();
                    for (float value : gradient) {
                        assertThat(value).as(objective.getClass().getSimpleName()).isFinite();
                        norm += value * value;
                    }
                }
                assertThat(norm).as(objective.getClass().getSimpleName()).isGreaterThan(0);
            }
        }
    }
}
