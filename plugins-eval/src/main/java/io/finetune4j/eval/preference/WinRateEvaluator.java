package io.finetune4j.eval.preference;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.reward.RewardModel;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluated model (A) against a baseline (B), judged by a reward model: both answer every prompt with
 * the same generation settings, the reward model scores {@code prompt + answer + EOS} for each (prompt
 * encoded by the reward model's tokenizer with its special tokens, the generated token ids kept as they
 * are, so all three models must share one vocabulary), and per prompt A scores 1 for a higher reward,
 * 0.5 for an exact tie and 0 for a lower one. Identical token sequences are scored once, so two identical
 * answers always tie. Metrics: {@code win_rate}, {@code mean_reward_a}, {@code mean_reward_b}.
 */
final class WinRateEvaluator implements Evaluator {
    private static final String ID = WinRateEvaluatorProvider.ID;
    private static final String REWARD_MODEL = "reward_model";

    private final WinRateConfig config;

    WinRateEvaluator(WinRateConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        PreferenceRows.requirePath(config.rewardModel(), ID, REWARD_MODEL, "the judging reward model");
        PreferenceRows.requirePrompts(data, ID);
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        checkData(context.data());
        CausalLM model = context.model();
        List<String> prompts = PreferenceRows.requirePrompts(context.data(), ID);
        List<Source> sources = context.data().examples().stream().map(Example::source).toList();
        Checked checked = check(context, prompts, sources);
        GenerationConfig generation = config.generation().toConfig();
        ProgressListener progress = context.progress();
        progress.start(ID + " " + context.data().name(), 3L * prompts.size());
        try {
            Answers a = Answers.generate(model, prompts, sources, generation, () -> progress.advance(1, "model"), ID);
            Answers b = checked.baseline().answer(context, prompts, sources, generation,
                    () -> progress.advance(1, "baseline"), ID);
            List<long[]> sequences = new ArrayList<>(2 * prompts.size());
            for (int i = 0; i < prompts.size(); i++) {
                long[] prompt = checked.rewardPrompts().get(i);
                sequences.add(scored(prompt, a.completion(i), checked.rewardEos(), context.maxLength()));
                sequences.add(scored(prompt, b.completion(i), checked.rewardEos(), context.maxLength()));
            }
            double[] rewards = scoreDistinct(context, checked.rewardDir(), sequences);
            progress.advance(prompts.size(), "reward");
            double[] rewardA = new double[prompts.size()];
            double[] rewardB = new double[prompts.size()];
            for (int i = 0; i < prompts.size(); i++) {
                rewardA[i] = rewards[2 * i];
                rewardB[i] = rewards[2 * i + 1];
            }
            return metrics(rewardA, rewardB);
        } finally {
            progress.finish();
        }
    }

    /** The settings, checked before the first token is generated; prompts encoded for the reward model. */
    private Checked check(EvalContext context, List<String> prompts, List<Source> sources) {
        CausalLM model = context.model();
        Path rewardDir = ComparedModel.rewardModelDir(context, config.rewardModel(), ID, REWARD_MODEL);
        Path rewardModelDir = ComparedModel.modelDir(context, config.rewardModel(), ID, REWARD_MODEL);
        ComparedModel.requireVocab(context, rewardModelDir, ID, REWARD_MODEL);
        long[] probe = PromptGenerations.encode(model.tokenizer(), prompts.subList(0, 1), sources, ID).get(0);
        Baseline baseline = Baseline.check(context, config.baseline(), ID, probe);
        baseline.dir().ifPresent(dir -> ComparedModel.requireVocab(context, dir, ID, Baseline.KEY));
        try (HfTokenizer rewardTokenizer = HfTokenizer.load(rewardModelDir)) {
            long eos = CompletionSequences.eos(rewardTokenizer, ID, "the reward model");
            List<long[]> rewardPrompts = prompts.stream().map(prompt -> rewardTokenizer.encode(prompt, true)).toList();
            return new Checked(rewardDir, baseline, rewardPrompts, eos);
        }
    }

    /** What {@link #check} established: the reward stage directory, model B, and the reward model's prompt ids. */
    private record Checked(Path rewardDir, Baseline baseline, List<long[]> rewardPrompts, long rewardEos) {}

    static List<Metric> metrics(double[] rewardA, double[] rewardB) {
        double[] outcomes = new double[rewardA.length];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = PairOutcome.winTieLoss(rewardA[i], rewardB[i]);
        }
        return List.of(Metric.mean("win_rate", outcomes, true),
                Metric.mean("mean_reward_a", rewardA, true),
                Metric.mean("mean_reward_b", rewardB, true));
    }

    private static long[] scored(long[] prompt, long[] completion, long eos, int maxLength) {
        return CompletionSequence.of(prompt, completion, eos, maxLength, null).ids();
    }

    /** Rewards of {@code sequences}, each distinct token sequence scored once. */
    private double[] scoreDistinct(EvalContext context, Path rewardDir, List<long[]> sequences) {
        Map<Key, Integer> index = new HashMap<>();
        List<long[]> distinct = new ArrayList<>();
        int[] slot = new int[sequences.size()];
        for (int i = 0; i < sequences.size(); i++) {
            long[] ids = sequences.get(i);
            slot[i] = index.computeIfAbsent(new Key(ids), key -> {
                distinct.add(ids);
                return distinct.size() - 1;
            });
        }
        double[] scores;
        try (RewardModel rewardModel = RewardModel.load(rewardDir, context.model().device())) {
            scores = rewardModel.score(distinct, config.batchSize());
        }
        double[] rewards = new double[sequences.size()];
        for (int i = 0; i < rewards.length; i++) {
            rewards[i] = scores[slot[i]];
        }
        return rewards;
    }

    /** Token ids compared by content. */
    private record Key(long[] ids) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && Arrays.equals(ids, key.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }
}
