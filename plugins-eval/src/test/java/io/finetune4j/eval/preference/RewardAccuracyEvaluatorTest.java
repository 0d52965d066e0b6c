package io.finetune4j.eval.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.reward.RewardModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardAccuracyEvaluatorTest {
    private static final Dataset PAIRS = new Dataset("prefs.jsonl", List.of(
            new Example.Preference("2+2=", "4", "5", new Source("prefs.jsonl", 1)),
            new Example.Preference("Capital of France? ", "Paris", "Lyon, I think", new Source("prefs.jsonl", 2)),
            new Example.Preference("Grüß dich, 世界! ", "こんにちは ✓", "", new Source("prefs.jsonl", 3)),
            new Example.Preference("", "a", "b", new Source("prefs.jsonl", 4)),
            new Example.Preference("say hi: ", "hi there", "no", new Source("prefs.jsonl", 5))));

    @TempDir
    Path dir;
    private PreferenceFixtures fixtures;
    private CausalLM model;

    @BeforeEach
    void setUp() {
        fixtures = new PreferenceFixtures(dir);
        model = fixtures.model(1);
        fixtures.rewardStage(dir.resolve("rm"), 11);
    }

    @AfterEach
    void tearDown() {
        model.close();
        fixtures.close();
    }

    private List<Metric> evaluate(Dataset data, int batchSize) {
        return new RewardAccuracyEvaluatorProvider().create(new RewardAccuracyConfig("rm", batchSize))
                .evaluate(new PreferenceFixtures.Context(model, data, 64, 0, new PreferenceFixtures.Progress(), dir));
    }

    /** r(prompt + completion + EOS) of each sequence scored alone by the reward model. */
    private double[][] directRewards(Dataset data) {
        try (RewardModel rewardModel = RewardModel.load(dir.resolve("rm"), Device.cpu())) {
            double[][] rewards = new double[data.size()][2];
            for (int i = 0; i < data.size(); i++) {
                Example.Preference pair = (Example.Preference) data.examples().get(i);
                rewards[i][0] = rewardModel.score(List.of(fixtures.sequence(pair.prompt(), pair.chosen())), 1)[0];
                rewards[i][1] = rewardModel.score(List.of(fixtures.sequence(pair.prompt(), pair.rejected())), 1)[0];
            }
            return rewards;
        }
    }

    @Test
    void accuracyAndMarginEqualDirectRewardModelScores() {
        double[][] rewards = directRewards(PAIRS);
        double correct = 0;
        double margin = 0;
        for (double[] pair : rewards) {
            assertThat(Math.abs(pair[0] - pair[1])).as("no near-ties in this fixture").isGreaterThan(1e-4);
            correct += pair[0] > pair[1] ? 1 : 0;
            margin += pair[0] - pair[1];
        }

        List<Metric> metrics = evaluate(PAIRS, 3);

        assertThat(metrics).extracting(Metric::name).containsExactly("reward_accuracy", "reward_margin");
        assertThat(metrics.get(0).value()).isEqualTo(correct / rewards.length);
        assertThat(metrics.get(1).value()).isCloseTo(margin / rewards.length, within(1e-5));
        for (int i = 0; i < rewards.length; i++) {
            assertThat(metrics.get(0).valueOn(new int[] {i})).isEqualTo(rewards[i][0] > rewards[i][1] ? 1.0 : 0.0);
            assertThat(metrics.get(1).valueOn(new int[] {i})).isCloseTo(rewards[i][0] - rewards[i][1], within(1e-5));
        }
    }

    @Test
    void swappingChosenAndRejectedGivesOneMinusAccuracy() {
        List<Example> swapped = PAIRS.examples().stream().map(example -> {
            Example.Preference pair = (Example.Preference) example;
            return (Example) new Example.Preference(pair.prompt(), pair.rejected(), pair.chosen(), pair.source());
        }).toList();

        double accuracy = evaluate(PAIRS, 8).get(0).value();
        List<Metric> reversed = evaluate(new Dataset("swapped.jsonl", swapped), 8);

        assertThat(reversed.get(0).value()).isEqualTo(1 - accuracy);
        assertThat(reversed.get(1).value()).isCloseTo(-evaluate(PAIRS, 8).get(1).value(), within(1e-5));
    }

    @Test
    void anExactTieCountsHalf() {
        List<Metric> metrics = RewardAccuracyEvaluator.metrics(new double[] {1, 2, 0.5}, new double[] {0, 2, 0.7});

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(0).valueOn(new int[] {1, 1})).isEqualTo(0.5);
    }

    @Test
    void aMissingRewardModelFailsWhenTheDataIsChecked() {
        var evaluator = new RewardAccuracyEvaluatorProvider().create(new RewardAccuracyEvaluatorProvider().defaults());

        assertThatThrownBy(() -> evaluator.checkData(PAIRS))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("reward-accuracy: reward_model: missing;");
    }

    @Test
    void aRowWithoutChosenIsNamedByFileAndLine() {
        Dataset data = new Dataset("prefs.jsonl", List.of(PAIRS.examples().get(0),
                new Example.PromptCompletion("q", "a", new Source("prefs.jsonl", 2))));
        var evaluator = new RewardAccuracyEvaluatorProvider().create(new RewardAccuracyConfig("rm", 8));

        assertThatThrownBy(() -> evaluator.checkData(data))
                .isInstanceOf(ConfigException.class)
                .hasMessage("prefs.jsonl:2: reward-accuracy needs preference rows {\"prompt\", \"chosen\", \"rejected\"};"
                        + " this prompt/completion row has no \"chosen\"/\"rejected\"");
    }

    @Test
    void aDirectoryWithoutHeadIsAConfigError() {
        fixtures.checkpoint(dir.resolve("plain"), 3);

        assertThatThrownBy(() -> new RewardAccuracyEvaluatorProvider().create(new RewardAccuracyConfig("plain", 8))
                .evaluate(new PreferenceFixtures.Context(model, PAIRS, 64, 0, new PreferenceFixtures.Progress(), dir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("reward-accuracy: reward_model: ")
                .hasMessageEndingWith("has no reward_head.safetensors; give the output of a 'reward' stage");
    }
}
