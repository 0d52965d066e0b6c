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
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.reward.RewardModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WinRateEvaluatorTest {
    private static final int MAX_NEW_TOKENS = 4;
    private static final Dataset PROMPTS = new Dataset("prompts.jsonl", List.of(
            new Example.PromptOnly("2+2=", new Source("prompts.jsonl", 1)),
            new Example.PromptCompletion("Capital of France? ", "Paris", new Source("prompts.jsonl", 2)),
            new Example.Preference("Grüß dich, 世界! ", "hi", "no", new Source("prompts.jsonl", 3)),
            new Example.Labelled("Is this good? ", "yes", new Source("prompts.jsonl", 4)),
            new Example.PromptOnly("say hi: ", new Source("prompts.jsonl", 5))));

    @TempDir
    Path dir;
    private PreferenceFixtures fixtures;
    private CausalLM model;
    private PreferenceFixtures.Progress progress;

    @BeforeEach
    void setUp() {
        fixtures = new PreferenceFixtures(dir);
        model = fixtures.model(4);
        fixtures.rewardStage(dir.resolve("rm"), 12);
        progress = new PreferenceFixtures.Progress();
    }

    @AfterEach
    void tearDown() {
        model.close();
        fixtures.close();
    }

    private static WinRateConfig config(String rewardModel, String baseline) {
        return new WinRateConfig(rewardModel, baseline, MAX_NEW_TOKENS, 0, 0, 1, 0, 3);
    }

    private List<Metric> evaluate(CausalLM evaluated, Dataset data, WinRateConfig config) {
        return new WinRateEvaluatorProvider().create(config)
                .evaluate(new PreferenceFixtures.Context(evaluated, data, 64, 0, progress, dir));
    }

    @Test
    void aModelAgainstItselfWithGreedyDecodingWinsExactlyHalf() {
        ModelLoader.save(model, dir.resolve("copy"));

        List<Metric> metrics = evaluate(model, PROMPTS, config("rm", "copy"));

        assertThat(metrics).extracting(Metric::name).containsExactly("win_rate", "mean_reward_a", "mean_reward_b");
        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        for (int i = 0; i < PROMPTS.size(); i++) {
            int[] one = {i};
            assertThat(metrics.get(0).valueOn(one)).isEqualTo(0.5);
            assertThat(metrics.get(1).valueOn(one)).isEqualTo(metrics.get(2).valueOn(one));
        }
        assertThat(progress.events).containsExactly("start win-rate prompts.jsonl 15", "finish");
        assertThat(progress.advanced).isEqualTo(15);
    }

    @Test
    void winRateEqualsADirectComputationFromGenerationsAndRewardScores() {
        PreferenceFixtures.withAdapters(model, 40f);
        GenerationConfig greedy = GenerationConfig.greedy(MAX_NEW_TOKENS);
        int n = PROMPTS.size();
        double[] rewardA = new double[n];
        double[] rewardB = new double[n];
        try (RewardModel rewardModel = RewardModel.load(dir.resolve("rm"), Device.cpu())) {
            for (int i = 0; i < n; i++) {
                String prompt = PreferenceRows.requirePrompts(PROMPTS, "test").get(i);
                long[] promptIds = fixtures.tokenizer().encode(prompt, true);
                long[] a = Generator.generate(model, promptIds, greedy).outputIds();
                long[] b;
                try (AdapterScope off = model.disableAdapters()) {
                    b = Generator.generate(model, promptIds, greedy).outputIds();
                }
                rewardA[i] = rewardModel.score(List.of(scored(promptIds, a)), 1)[0];
                rewardB[i] = rewardModel.score(List.of(scored(promptIds, b)), 1)[0];
            }
        }
        double wins = 0;
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(rewardA[i] - rewardB[i])).as("no near-ties").isGreaterThan(1e-4);
            wins += rewardA[i] > rewardB[i] ? 1 : 0;
        }

        List<Metric> metrics = evaluate(model, PROMPTS, config("rm", "adapters-disabled"));

        assertThat(metrics.get(0).value()).isEqualTo(wins / n);
        assertThat(metrics.get(1).value()).isCloseTo(Arrays.stream(rewardA).average().orElseThrow(), within(1e-5));
        assertThat(metrics.get(2).value()).isCloseTo(Arrays.stream(rewardB).average().orElseThrow(), within(1e-5));
        assertThat(model.adaptersEnabled()).isTrue();
    }

    /** The answer without its EOS, then the reward model's EOS: as the reward stage trains. */
    private long[] scored(long[] promptIds, long[] output) {
        long[] completion = output.length > 0 && output[output.length - 1] == fixtures.eos()
                ? Arrays.copyOf(output, output.length - 1) : output;
        return PreferenceFixtures.concat(promptIds, completion, new long[] {fixtures.eos()});
    }

    @Test
    void emptyGenerationsForNonAsciiPromptsAreFiniteTies() {
        PreferenceFixtures.withAdapters(model, 40f);
        CausalLM silent = new PreferenceFixtures.EosModel(model);
        Dataset data = new Dataset("odd.jsonl", List.of(
                new Example.PromptOnly("日本語で答えて: ", new Source("odd.jsonl", 1)),
                new Example.PromptOnly("emoji 🙂 ✓ ", new Source("odd.jsonl", 2))));

        List<Metric> metrics = evaluate(silent, data, config("rm", "adapters-disabled"));

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isFinite().isEqualTo(metrics.get(2).value());
    }

    @Test
    void aRewardModelWithAnotherVocabularyFailsBeforeGenerating() {
        Path other = dir.resolve("rm-other");
        try (CausalLM wide = fixtures.model(6, fixtures.tokenizer().vocabSize() + 8, 64)) {
            ModelLoader.save(wide, other.resolve("model"));
        }
        fixtures.rewardStage(dir.resolve("unused"), 1);
        copyHead(dir.resolve("unused"), other);

        assertThatThrownBy(() -> evaluate(model, PROMPTS, config("rm-other", "adapters-disabled")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("win-rate: reward_model: the checkpoint at")
                .hasMessageContaining("both must share one tokenizer");
        assertThat(progress.events).isEmpty();
    }

    @Test
    void adaptersDisabledBaselineOfAMergedModelFailsBeforeGenerating() {
        assertThatThrownBy(() -> evaluate(model, PROMPTS, config("rm", "adapters-disabled")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("win-rate: baseline: 'adapters-disabled' needs a model with adapters");
        assertThat(progress.events).isEmpty();
    }

    @Test
    void aMissingRewardModelAndATextRowAreReportedWhenTheDataIsChecked() {
        var provider = new WinRateEvaluatorProvider();
        assertThatThrownBy(() -> provider.create(provider.defaults()).checkData(PROMPTS))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("win-rate: reward_model: missing;");

        Dataset text = new Dataset("t.jsonl", List.of(new Example.Text("plain", new Source("t.jsonl", 3))));
        assertThatThrownBy(() -> provider.create(config("rm", "adapters-disabled")).checkData(text))
                .isInstanceOf(ConfigException.class)
                .hasMessage("t.jsonl:3: win-rate needs rows with a \"prompt\" to answer, found a text row");
    }

    private static void copyHead(Path from, Path to) {
        try {
            for (String file : List.of("reward_head.safetensors", "reward_head.json")) {
                java.nio.file.Files.copy(from.resolve(file), to.resolve(file));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
