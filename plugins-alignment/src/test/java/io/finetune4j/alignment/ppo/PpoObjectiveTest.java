package io.finetune4j.alignment.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.alignment.rollout.ReferencePolicy;
import io.finetune4j.alignment.rollout.RolloutBuffer;
import io.finetune4j.alignment.rollout.RolloutSample;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PpoObjectiveTest {
    static final List<String> PROMPTS = List.of("Say:", "Word:", "Next:", "Go:", "Name:", "Pick:", "Then:", "Now:");
    static final Dataset DATA = RlTestModel.prompts("prompts.jsonl", PROMPTS.toArray(String[]::new));

    @TempDir
    Path dir;

    private RlTestModel rl;

    @BeforeEach
    void setUp() {
        rl = new RlTestModel(dir.resolve("policy"), 5);
    }

    @AfterEach
    void tearDown() {
        rl.close();
    }

    static PpoConfig config(double temperature, double klCoef, boolean adaptive, int epochs, int miniBatches) {
        return config(temperature, klCoef, adaptive, epochs, miniBatches, 4);
    }

    static PpoConfig config(double temperature, double klCoef, boolean adaptive, int epochs, int miniBatches,
                            int responseLength) {
        return new PpoConfig(epochs, miniBatches, responseLength, temperature, klCoef, "k1", adaptive, 6.0, 10000, 0.2, 0.2, 0.1,
                1.0, 0.95, false, 0.0, ModelSource.ADAPTERS_DISABLED);
    }

    private PpoObjective objective(PpoConfig config) {
        return new PpoObjective(config, rl.context(32, rl.letterReward, DATA));
    }

    @Test
    void rolloutLogProbsValuesAndReferenceMatchSingleSequenceForwards() {
        PpoObjective objective = objective(config(1.0, 0.05, false, 2, 2));
        try (NDManager step = rl.model.manager().newSubManager()) {
            objective.compute(List.of(0, 1, 2), step);
        }
        List<RolloutSample> samples = objective.buffer().samples();
        assertThat(samples).hasSize(6); // num_mini_batches × micro-batch size

        for (RolloutSample sample : samples) {
            long[] prompt = sample.prompt().promptIds();
            long[] ids = concat(prompt, sample.responseIds());
            double[] policy = TokenScorer.logProbs(rl.model, ids);
            double[] reference;
            try (AdapterScope off = rl.model.disableAdapters()) {
                reference = TokenScorer.logProbs(rl.model, ids);
            }
            double[] values = values(objective.head(), ids);
            for (int j = 0; j < sample.length(); j++) {
                int position = prompt.length + j;
                assertThat(sample.oldLogProbs()[j]).isCloseTo(policy[position], within(1e-4));
                assertThat(sample.referenceLogProbs()[j]).isCloseTo(reference[position], within(1e-4));
                assertThat(sample.values()[j]).isCloseTo(values[position - 1], within(1e-4));
            }
            assertThat(sample.score()).isEqualTo(rl.letterShare(sample.responseIds()));
            // nothing follows an EOS: a response is cut at its first EOS, or runs to response_length without one
            long eos = rl.lm.tokenizer.eosTokenIds()[0];
            long[] response = sample.responseIds();
            for (int j = 0; j < response.length - 1; j++) {
                assertThat(response[j]).isNotEqualTo(eos);
            }
            assertThat(sample.endsWithEos() ? response[response.length - 1] == eos : response.length == 4).isTrue();
            assertThat(sample.completion()).isEqualTo(rl.lm.tokenizer.decode(sample.responseIds(), true));
        }
        // advantages are whitened over every response token of the rollout: mean 0, unbiased variance 1
        List<Double> all = new ArrayList<>();
        samples.forEach(sample -> {
            for (double a : sample.advantages()) {
                all.add(a);
            }
        });
        double mean = all.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double variance = all.stream().mapToDouble(a -> (a - mean) * (a - mean)).sum() / (all.size() - 1);
        assertThat(mean).isCloseTo(0, within(1e-9));
        assertThat(variance).isCloseTo(1, within(1e-6));
    }

    /** The value head on a single unpadded forward, in doubles: V[t] = w·h[t] + b. */
    private double[] values(ValueHead head, long[] ids) {
        try (NDManager scope = rl.model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            float[] hidden = rl.model.forward(ForwardInput.of(input).withLogits(ForwardInput.Logits.NONE))
                    .hiddenStates().toFloatArray();
            float[] w = head.weight().toFloatArray();
            float b = head.bias().toFloatArray()[0];
            double[] values = new double[ids.length];
            for (int t = 0; t < ids.length; t++) {
                double sum = b;
                for (int k = 0; k < w.length; k++) {
                    sum += (double) w[k] * hidden[t * w.length + k];
                }
                values[t] = sum;
            }
            return values;
        }
    }

    @Test
    void aRolloutIsServedForNumPpoEpochsPassesThenReplaced() {
        PpoObjective objective = objective(config(1.0, 0.05, false, 3, 2));
        RolloutBuffer first = null;
        try (NDManager step = rl.model.manager().newSubManager()) {
            for (int call = 0; call < 6; call++) {     // 3 epochs × 2 mini-batches of 2
                objective.compute(List.of(0, 1), step);
                first = first == null ? objective.buffer() : first;
                assertThat(objective.buffer()).isSameAs(first);
            }
            assertThat(first.samples()).hasSize(4);
            assertThat(first.usedUp()).isTrue();
            objective.compute(List.of(0, 1), step);
        }
        assertThat(objective.buffer()).isNotSameAs(first);
        assertThat(objective.exampleCount()).isEqualTo(PROMPTS.size() * 3);
    }

    @Test
    void adaptiveKlCoefficientMovesAfterARollout() {
        PpoObjective objective = objective(config(1.0, 0.2, true, 1, 2));
        try (NDManager step = rl.model.manager().newSubManager()) {
            objective.compute(List.of(0, 1), step);
        }
        List<RolloutSample> samples = objective.buffer().samples();
        double meanKl = samples.stream().mapToDouble(s -> {
            double sum = 0;
            for (int j = 0; j < s.length(); j++) {
                sum += s.oldLogProbs()[j] - s.referenceLogProbs()[j];   // k1
            }
            return sum;
        }).average().orElseThrow();
        double error = Math.max(-0.2, Math.min(0.2, meanKl / 6.0 - 1));

        assertThat(objective.klController().value()).isCloseTo(0.2 * (1 + error * samples.size() / 10000), within(1e-12));
    }

    @Test
    void trainingLeavesTheBaseAndTheReferenceUntouchedAndSavesTheValueHead() {
        PpoObjective objective = objective(config(1.0, 0.05, false, 2, 1));
        Map<String, float[]> baseBefore = new HashMap<>();
        rl.model.parameters().forEach((name, array) -> baseBefore.put(name, array.toFloatArray()));
        long[] probe = concat(rl.lm.tokenizer.encode("Say:", true), rl.lm.tokenizer.encode("abc", false));
        double[] referenceBefore = referenceLogProbs(probe);
        double[] policyBefore = TokenScorer.logProbs(rl.model, probe);
        float[] headBefore = objective.head().weight().toFloatArray();

        train(objective, 4, 2e-2);

        rl.model.parameters().forEach((name, array) -> {
            assertThat(array.hasGradient()).as(name).isFalse();
            assertThat(array.toFloatArray()).as(name).isEqualTo(baseBefore.get(name));
        });
        assertThat(referenceLogProbs(probe)).containsExactly(referenceBefore, within(0.0));
        assertThat(TokenScorer.logProbs(rl.model, probe)[probe.length - 1]).isNotEqualTo(policyBefore[probe.length - 1]);
        assertThat(objective.head().weight().toFloatArray()).isNotEqualTo(headBefore);

        objective.save(dir.resolve("stage"));
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("stage").resolve(ValueHead.FILE))) {
            assertThat(reader.info(ValueHead.WEIGHT).orElseThrow().shape()).isEqualTo(new Shape(1, 8));
            assertThat(reader.info(ValueHead.BIAS).orElseThrow().shape()).isEqualTo(new Shape(1));
        }
    }

    private double[] referenceLogProbs(long[] ids) {
        try (AdapterScope off = rl.model.disableAdapters()) {
            double[] all = TokenScorer.logProbs(rl.model, ids);
            return java.util.Arrays.copyOfRange(all, 1, all.length);
        }
    }

    @Test
    void ppoRaisesTheMeanReward() {
        double before = rl.sampledReward(PROMPTS, 24, 3);
        PpoObjective objective = objective(config(1.0, 0.01, false, 2, 1, 3));
        List<Map<String, Double>> logs = new ArrayList<>();

        train(objective, 8, 2e-1, logs, 8);   // 4 rollouts of 8 responses, each trained on twice

        double after = rl.sampledReward(PROMPTS, 24, 3);
        assertThat(after).as("mean reward before %.3f, after %.3f", before, after).isGreaterThan(before + 0.15);
        assertThat(logs.get(0)).containsKeys("objective/kl", "objective/entropy", "objective/scores",
                "objective/rlhf_reward", "objective/kl_coef", "policy/approxkl_avg", "policy/clipfrac_avg",
                "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg");
        assertThat(logs).allSatisfy(values -> assertThat(values.values()).allMatch(Double::isFinite));
    }

    private void train(PpoObjective objective, int steps, double learningRate) {
        train(objective, steps, learningRate, new ArrayList<>(), 4);
    }

    private void train(PpoObjective objective, int steps, double learningRate, List<Map<String, Double>> logs,
                       int batchSize) {
        TrainingConfig config = new TrainingConfig(1, steps, batchSize, 1, learningRate, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                1.0, 1, 7);
        new Trainer(config, ProgressListener.NONE, (stage, step, values) -> logs.add(values), "ppo")
                .fit(() -> rl.adapters, objective);
    }

    @Test
    void aCheckpointReferenceScoresWithThatModel() {
        Path checkpoint = dir.resolve("reference-checkpoint");
        try (io.finetune4j.alignment.preference.PreferenceTestModel other =
                     new io.finetune4j.alignment.preference.PreferenceTestModel(dir.resolve("other"), 9)) {
            io.finetune4j.runtime.model.ModelLoader.save(other.model, checkpoint);
        }
        PpoConfig base = config(1.0, 0.05, false, 1, 1);
        PpoConfig config = new PpoConfig(1, 1, 4, 1.0, 0.05, "k3", false, 6.0, 10000, 0.2, 0.2, 0.1, 1.0, 0.95, true,
                0.5, checkpoint.toString());
        assertThat(base.reference()).isEqualTo(ModelSource.ADAPTERS_DISABLED);
        PpoObjective objective = objective(config);
        try (NDManager step = rl.model.manager().newSubManager()) {
            objective.compute(List.of(0, 1), step);
        }

        for (RolloutSample sample : objective.buffer().samples()) {
            long[] ids = concat(sample.prompt().promptIds(), sample.responseIds());
            double[] reference = TokenScorer.logProbs(objective.reference().checkpoint(), ids);
            for (int j = 0; j < sample.length(); j++) {
                assertThat(sample.referenceLogProbs()[j])
                        .isCloseTo(reference[sample.prompt().promptIds().length + j], within(1e-4));
            }
            // missing_eos_penalty: responses cut at response_length lose 0.5
            double expected = rl.letterShare(sample.responseIds()) - (sample.endsWithEos() ? 0 : 0.5);
            assertThat(sample.score()).isCloseTo(expected, within(1e-12));
        }
        objective.save(dir.resolve("stage"));
        assertThat(objective.reference().checkpoint()).isNull();
    }

    @Test
    void adaptersDisabledIsRefusedWhenTheBaseTrains() {
        rl.model.parameters().values().iterator().next().setRequiresGradient(true);

        assertThatThrownBy(() -> objective(config(1.0, 0.05, false, 1, 1)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("ppo: reference: 'adapters-disabled' is the policy itself");
    }

    @Test
    void aStageWithoutARewardFunctionIsAConfigError() {
        assertThatThrownBy(() -> new PpoObjective(config(1.0, 0.05, false, 1, 1), rl.context(32, null, DATA)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("ppo: the stage names no reward function");
    }

    @Test
    void responseLengthMustLeaveRoomForThePrompt() {
        assertThatThrownBy(() -> new PpoObjective(config(1.0, 0.05, false, 1, 1), rl.context(4, rl.letterReward, DATA)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("ppo: max_length (4) must be larger than response_length (4): prompts get max_length"
                        + " − response_length tokens");
    }

    @Test
    void preferenceRowsAreRejectedWithTheirLine() {
        Dataset pairs = io.finetune4j.alignment.preference.PreferenceTestModel.data("pairs.jsonl",
                new String[] {"Q", "a", "b"});

        assertThatThrownBy(() -> new PpoObjective(config(1.0, 0.05, false, 1, 1), rl.context(32, rl.letterReward, pairs)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("pairs.jsonl:1: ppo generates from prompt, prompt/completion or text rows, found a "
                        + "Preference row");
    }

    static long[] concat(long[] a, long[] b) {
        long[] ids = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        return ids;
    }
}
