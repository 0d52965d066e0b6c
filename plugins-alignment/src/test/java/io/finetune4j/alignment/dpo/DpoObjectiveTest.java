package io.finetune4j.alignment.dpo;

import static io.finetune4j.alignment.preference.PreferenceTestModel.completionLogProb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoObjectiveTest {
    static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green."},
            new String[] {"Q: grass?\nA:", " green.", " red!"},
            new String[] {"Q: 2+2?\nA:", " 4.", " five"},
            new String[] {"Q: snow?\nA:", " white.", " black"});

    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("policy"), 5);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    /** A second random model of the same shape, saved as a checkpoint directory. */
    private Path referenceCheckpoint() {
        Path checkpoint = dir.resolve("reference-checkpoint");
        try (PreferenceTestModel reference = new PreferenceTestModel(dir.resolve("reference"), 9)) {
            ModelLoader.save(reference.model, checkpoint);
        }
        return checkpoint;
    }

    private DpoObjective objective(DpoConfig config) {
        return (DpoObjective) new DpoObjectiveProvider().create(config, lm.context(64, DATA));
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    /** TRL's dpo_loss, by hand, from log-probs scored one sequence at a time. */
    private static double expectedLoss(String type, double beta, double eps, double[] policy, double[] reference) {
        double x = (policy[0] - policy[1]) - (reference[0] - reference[1]);
        return switch (type) {
            case "sigmoid" -> -logSigmoid(beta * x) * (1 - eps) - logSigmoid(-beta * x) * eps;
            case "robust" -> (-logSigmoid(beta * x) * (1 - eps) + logSigmoid(-beta * x) * eps) / (1 - 2 * eps);
            case "hinge" -> Math.max(0, 1 - beta * x);
            case "ipo" -> Math.pow(x - 1 / (2 * beta), 2);
            default -> throw new IllegalArgumentException(type);
        };
    }

    private static double[] logProbs(CausalLM model, PreferencePair pair, boolean average) {
        return new double[] {completionLogProb(model, pair.chosen(), average),
                completionLogProb(model, pair.rejected(), average)};
    }

    @Test
    void eachLossTypeEqualsTheHandComputedValue() {
        Path checkpoint = referenceCheckpoint();
        // Log-probs scored one sequence at a time: [pair][sum, average][chosen, rejected]
        double[][][] policy = new double[4][2][];
        double[][][] ref = new double[4][2][];
        DpoObjective tokenized = objective(new DpoConfig(0.1, "sigmoid", 0, checkpoint.toString(), false));
        try (CausalLM reference = ModelLoader.load(checkpoint, lm.model.device())) {
            for (int i = 0; i < 4; i++) {
                for (int average = 0; average < 2; average++) {
                    policy[i][average] = logProbs(lm.model, tokenized.pair(i), average == 1);
                    ref[i][average] = logProbs(reference, tokenized.pair(i), average == 1);
                }
            }
        }
        tokenized.save(dir.resolve("stage"));
        for (String type : List.of("sigmoid", "ipo", "hinge", "robust")) {
            double beta = 0.3;
            double eps = type.equals("sigmoid") || type.equals("robust") ? 0.1 : 0.0;
            DpoObjective objective = objective(new DpoConfig(beta, type, eps, checkpoint.toString(), false));
            int average = type.equals("ipo") ? 1 : 0;
            double expected = 0;
            double chosenReward = 0;
            for (int i = 0; i < 4; i++) {
                expected += expectedLoss(type, beta, eps, policy[i][average], ref[i][average]) / 4;
                // TRL v1.9: rewards are β·(summed) chosen log-ratios for every loss type, IPO included.
                chosenReward += beta * (policy[i][0][0] - ref[i][0][0]) / 4;
            }
            try (NDManager step = lm.model.manager().newSubManager()) {
                ObjectiveStep result = objective.compute(List.of(0, 1, 2, 3), step);

                assertThat((double) result.loss().getFloat()).as(type).isCloseTo(expected, within(2e-4));
                assertThat(result.metrics().get("rewards/chosen")).as(type).isCloseTo(chosenReward, within(2e-4));
                assertThat(result.metrics()).containsKeys("rewards/rejected", "rewards/accuracies",
                        "rewards/margins", "logps/chosen", "logps/rejected");
            }
            objective.save(dir.resolve("stage"));
        }
    }

    @Test
    void precomputedReferenceEqualsTheCheckpointScoredLater() {
        Path checkpoint = referenceCheckpoint();
        DpoObjective precomputed = objective(new DpoConfig(0.1, "sigmoid", 0, checkpoint.toString(), true));
        assertThat(precomputed.referenceModel()).as("the checkpoint is closed once scored").isNull();
        try (CausalLM reference = ModelLoader.load(checkpoint, lm.model.device())) {
            for (int i = 0; i < 4; i++) {
                double[] expected = logProbs(reference, precomputed.pair(i), false);
                assertThat(precomputed.precomputedReference(i)).containsExactly(expected, within(1e-4));
            }
        }
    }

    @Test
    void checkpointReferenceNeverTrainsNorGetsGradients() {
        DpoObjective objective = objective(new DpoConfig(0.1, "sigmoid", 0, referenceCheckpoint().toString(), false));
        Map<String, float[]> before = snapshot(objective.referenceModel());
        Map<String, NDArray> parameters = fullFineTuning();
        float[] policyBefore = parameters.values().iterator().next().toFloatArray();

        train(() -> parameters, objective, 3);

        assertThat(objective.referenceModel().parameters().values()).noneMatch(NDArray::hasGradient);
        Map<String, float[]> after = snapshot(objective.referenceModel());
        before.forEach((name, values) -> assertThat(after.get(name)).as(name).containsExactly(values));
        assertThat(parameters.values().iterator().next().toFloatArray()).isNotEqualTo(policyBefore);
        objective.save(dir.resolve("stage"));
        assertThat(objective.referenceModel()).isNull();
    }

    @Test
    void adaptersDisabledReferenceIsTheBaseModelAndStaysFrozen() {
        Map<String, float[]> baseBefore = snapshot(lm.model);
        Map<String, NDArray> adapters = lm.addShiftAdapters(11);
        DpoObjective objective = objective(new DpoObjectiveProvider().defaults());
        double expected = 0;
        for (int i = 0; i < 4; i++) {
            double[] policy = logProbs(lm.model, objective.pair(i), false);
            double[] base;
            try (AdapterScope off = lm.model.disableAdapters()) {
                base = logProbs(lm.model, objective.pair(i), false);
            }
            assertThat(policy[0]).isNotCloseTo(base[0], within(1e-3));
            expected += expectedLoss("sigmoid", 0.1, 0, policy, base) / 4;
        }
        try (NDManager step = lm.model.manager().newSubManager()) {
            assertThat((double) objective.compute(List.of(0, 1, 2, 3), step).loss().getFloat())
                    .isCloseTo(expected, within(2e-4));
        }
        float[] adapterBefore = adapters.values().iterator().next().toFloatArray();

        train(() -> adapters, objective, 3);

        assertThat(lm.model.parameters().values()).noneMatch(NDArray::hasGradient);
        Map<String, float[]> baseAfter = snapshot(lm.model);
        baseBefore.forEach((name, values) -> assertThat(baseAfter.get(name)).as(name).containsExactly(values));
        assertThat(adapters.values().iterator().next().toFloatArray()).isNotEqualTo(adapterBefore);
    }

    @Test
    void adaptersDisabledWithTrainableBaseWeightsNeedsPrecomputedLogProbs() {
        fullFineTuning();

        assertThatThrownBy(() -> objective(new DpoObjectiveProvider().defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("reference: 'adapters-disabled' is the policy itself when the method trains the base"
                        + " weights; use an adapter method, set precompute_ref_log_probs: true, or give a"
                        + " checkpoint directory");
    }

    @Test
    void rejectsAMissingReferenceCheckpoint() {
        assertThatThrownBy(() -> objective(new DpoConfig(0.1, "sigmoid", 0, dir.resolve("nope").toString(), false)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("reference: no checkpoint directory at ");
    }

    @Test
    void shortTrainingRaisesRewardAccuracyOnTheTrainPairs() {
        Map<String, NDArray> parameters = fullFineTuning();
        DpoObjective objective = objective(new DpoConfig(0.1, "sigmoid", 0, "adapters-disabled", true));
        Map<String, Double> before = metrics(objective);

        List<Double> losses = train(() -> parameters, objective, 12);

        Map<String, Double> after = metrics(objective);
        assertThat(before.get("rewards/accuracies")).isEqualTo(0.0);   // policy == reference: all rewards 0
        assertThat(after.get("rewards/accuracies")).isEqualTo(1.0);
        assertThat(after.get("rewards/margins")).isGreaterThan(before.get("rewards/margins"));
        assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0));
    }

    private Map<String, Double> metrics(DpoObjective objective) {
        try (NDManager step = lm.model.manager().newSubManager()) {
            return objective.compute(IntStream.range(0, objective.exampleCount()).boxed().toList(), step).metrics();
        }
    }

    private Map<String, NDArray> fullFineTuning() {
        Map<String, NDArray> parameters = new LinkedHashMap<>(lm.model.parameters());
        parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
        return parameters;
    }

    private static List<Double> train(Method method, DpoObjective objective, int steps) {
        TrainingConfig config = new TrainingConfig(1, steps, 4, 1, 2e-2, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                1.0, 1, 7);
        return new Trainer(config, ProgressListener.NONE, (stage, step, values) -> { }, "dpo")
                .fit(method, objective).stepLosses();
    }

    private static Map<String, float[]> snapshot(CausalLM model) {
        Map<String, float[]> values = new LinkedHashMap<>();
        model.parameters().forEach((name, array) -> values.put(name, array.toFloatArray()));
        return values;
    }
}
