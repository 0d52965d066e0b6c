package io.finetune4j.alignment.grpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.ppo.RlTestModel;
import io.finetune4j.alignment.rollout.RolloutSample;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.generate.TokenScorer;
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

class GrpoObjectiveTest {
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

    static GrpoConfig config(int generations, double beta, int iterations, String lossType, int generationBatch) {
        return new GrpoConfig(generations, 4, 1.0, beta, 0.2, null, iterations, lossType, "group", "token", false,
                generationBatch,
                ModelSource.ADAPTERS_DISABLED);
    }

    private GrpoObjective objective(GrpoConfig config) {
        return new GrpoObjective(config, rl.context(32, rl.letterReward, DATA));
    }

    @Test
    void rolloutSamplesGroupsOfOnePromptWithGroupRelativeAdvantages() {
        GrpoObjective objective = objective(config(4, 0.04, 2, "grpo", 8));
        try (NDManager step = rl.model.manager().newSubManager()) {
            objective.compute(List.of(0, 1, 2, 3), step);
        }
        List<RolloutSample> samples = objective.buffer().samples();
        assertThat(samples).hasSize(8);

        for (int group = 0; group < 2; group++) {
            List<RolloutSample> members = samples.subList(4 * group, 4 * group + 4);
            assertThat(members).extracting(sample -> sample.prompt().prompt()).containsOnly(
                    members.get(0).prompt().prompt());
            double[] rewards = members.stream().mapToDouble(sample -> rl.letterShare(sample.responseIds())).toArray();
            double mean = (rewards[0] + rewards[1] + rewards[2] + rewards[3]) / 4;
            double squares = 0;
            for (double reward : rewards) {
                squares += (reward - mean) * (reward - mean);
            }
            double std = Math.sqrt(squares / 3);
            for (int i = 0; i < 4; i++) {
                RolloutSample sample = members.get(i);
                double expected = (rewards[i] - mean) / (std + 1e-4);
                assertThat(sample.advantages()).hasSize(sample.length());
                for (double advantage : sample.advantages()) {
                    assertThat(advantage).isCloseTo(expected, within(1e-9));
                }
                long[] ids = concat(sample.prompt().promptIds(), sample.responseIds());
                double[] reference;
                try (AdapterScope off = rl.model.disableAdapters()) {
                    reference = TokenScorer.logProbs(rl.model, ids);
                }
                double[] policy = TokenScorer.logProbs(rl.model, ids);
                for (int j = 0; j < sample.length(); j++) {
                    int position = sample.prompt().promptIds().length + j;
                    assertThat(sample.referenceLogProbs()[j]).isCloseTo(reference[position], within(1e-4));
                    assertThat(sample.oldLogProbs()[j]).isCloseTo(policy[position], within(1e-4));
                }
            }
        }
        assertThat(objective.exampleCount()).isEqualTo(PROMPTS.size() * 4 * 2);
    }

    @Test
    void betaZeroNeedsNoReference() {
        GrpoObjective objective = objective(config(2, 0.0, 1, "bnpo", 0));
        try (NDManager step = rl.model.manager().newSubManager()) {
            objective.compute(List.of(0, 1, 2), step);
        }

        assertThat(objective.reference()).isNull();
        assertThat(objective.buffer().samples()).hasSize(4)   // micro-batch 3 rounded up to groups of 2
                .allSatisfy(sample -> assertThat(sample.referenceLogProbs()).isNull());
    }

    @Test
    void grpoRaisesTheMeanRewardAndNeverTouchesTheBase() {
        Map<String, float[]> baseBefore = new HashMap<>();
        rl.model.parameters().forEach((name, array) -> baseBefore.put(name, array.toFloatArray()));
        double before = rl.sampledReward(PROMPTS, 24, 3);
        GrpoObjective objective = new GrpoObjective(new GrpoConfig(4, 3, 1.0, 0.01, 0.2, null, 1, "grpo", "group", "token", false, 8,
                ModelSource.ADAPTERS_DISABLED), rl.context(32, rl.letterReward, DATA));
        List<Map<String, Double>> logs = new ArrayList<>();
        TrainingConfig training = new TrainingConfig(1, 8, 8, 1, 1e-1, 0.0, 0.9, 0.999, 1e-8, 0, "constant", 1.0, 1, 7);

        new Trainer(training, ProgressListener.NONE, (stage, step, values) -> logs.add(values), "grpo")
                .fit(() -> rl.adapters, objective);

        double after = rl.sampledReward(PROMPTS, 24, 3);
        assertThat(after).as("mean reward before %.3f, after %.3f", before, after).isGreaterThan(before + 0.1);
        rl.model.parameters().forEach((name, array) -> {
            assertThat(array.hasGradient()).as(name).isFalse();
            assertThat(array.toFloatArray()).as(name).isEqualTo(baseBefore.get(name));
        });
        assertThat(logs.get(0)).containsKeys("reward", "reward_std", "kl", "clip_ratio/region_mean",
                "completions/mean_length", "frac_reward_zero_std");
    }

    /**
     * TRL v1.9 mask_truncated_completions: completions without EOS leave the loss mask, so the loss is the dapo
     * token sum over the EOS-ending completions only, divided by their tokens.
     */
    @Test
    void maskTruncatedCompletionsLeavesCompletionsWithoutEosOutOfTheLoss() {
        // Raise the EOS logit so that some completions stop and others hit the length limit.
        io.finetune4j.api.model.Linear head = rl.model.linears().get("lm_head");
        rl.model.replaceLinear("lm_head", new EosBias(head, rl.lm.id("</s>"), 5.0f));
        GrpoConfig config = new GrpoConfig(4, 3, 1.0, 0.0, 0.2, null, 1, "dapo", "group", "token", true, 4,
                ModelSource.ADAPTERS_DISABLED);
        GrpoObjective objective = objective(config);
        try (NDManager step = rl.model.manager().newSubManager()) {
            double loss = objective.compute(List.of(0, 1, 2, 3), step).loss().getFloat();

            List<RolloutSample> samples = objective.buffer().samples();
            // ratio 1 on the first pass: each counted token contributes −A; dapo divides by the counted tokens
            double sum = 0;
            long counted = 0;
            for (RolloutSample sample : samples) {
                if (sample.endsWithEos()) {
                    sum -= sample.advantages()[0] * sample.length();
                    counted += sample.length();
                }
            }
            assertThat(samples).as("ends with EOS: %s", samples.stream().map(RolloutSample::endsWithEos).toList())
                    .anyMatch(sample -> !sample.endsWithEos()).anyMatch(RolloutSample::endsWithEos);
            assertThat(loss).isCloseTo(counted == 0 ? 0 : sum / counted, within(1e-5));
        }
    }

    /** The wrapped head plus {@code eosShift} on the EOS logit. */
    private record EosBias(io.finetune4j.api.model.Linear wrapped, long eos, float eosShift)
            implements io.finetune4j.api.model.Linear {
        @Override public String name() { return wrapped.name(); }
        @Override public int inFeatures() { return wrapped.inFeatures(); }
        @Override public int outFeatures() { return wrapped.outFeatures(); }
        @Override public ai.djl.ndarray.NDArray weight() { return wrapped.weight(); }
        @Override public java.util.Optional<ai.djl.ndarray.NDArray> bias() { return wrapped.bias(); }
        @Override public io.finetune4j.api.model.Linear base() { return wrapped; }

        @Override
        public ai.djl.ndarray.NDArray forward(ai.djl.ndarray.NDArray x, boolean training) {
            ai.djl.ndarray.NDArray y = wrapped.forward(x, training);
            float[] shift = new float[outFeatures()];
            shift[(int) eos] = eosShift;
            return y.add(y.getManager().create(shift));
        }
    }

    @Test
    void aStageWithoutARewardFunctionIsAConfigError() {
        assertThatThrownBy(() -> new GrpoObjective(config(2, 0.04, 1, "grpo", 0), rl.context(32, null, DATA)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("grpo: the stage names no reward function");
    }

    static long[] concat(long[] a, long[] b) {
        long[] ids = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        return ids;
    }
}
