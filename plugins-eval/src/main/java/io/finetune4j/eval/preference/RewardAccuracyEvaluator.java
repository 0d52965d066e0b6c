package io.finetune4j.eval.preference;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.reward.RewardModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model judged on held-out preference pairs, as TRL's {@code RewardTrainer} evaluates
 * ({@code compute_accuracy} in trl/trainer/utils.py): each pair's {@code prompt + chosen} and
 * {@code prompt + rejected} are scored (tokenized with the reward model's tokenizer as the {@code reward}
 * stage trains, see {@link CompletionSequences}). Metrics, with per-example values for the runner's
 * bootstrap: {@code reward_accuracy} (1 when r_chosen &gt; r_rejected, 0 when lower, and 0.5 on an exact tie,
 * so every pair keeps its weight in a resample; recent TRL leaves ties out of the mean, older TRL counted them
 * as correct) and {@code reward_margin} (mean r_chosen − r_rejected). The evaluated model is not used: the
 * reward model named in {@code reward_model} is what is judged.
 */
final class RewardAccuracyEvaluator implements Evaluator {
    private static final String ID = RewardAccuracyEvaluatorProvider.ID;

    private final RewardAccuracyConfig config;

    RewardAccuracyEvaluator(RewardAccuracyConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        PreferenceRows.requirePath(config.rewardModel(), ID, "reward_model", "the reward model to judge");
        PreferenceRows.requirePairs(data, ID);
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        checkData(context.data());
        List<Example.Preference> pairs = PreferenceRows.requirePairs(context.data(), ID);
        double[] chosen = new double[pairs.size()];
        double[] rejected = new double[pairs.size()];
        java.nio.file.Path dir = ComparedModel.rewardModelDir(context, config.rewardModel(), ID, "reward_model");
        try (RewardModel rewardModel = RewardModel.load(dir, context.model().device())) {
            TextTokenizer tokenizer = rewardModel.model().tokenizer();
            long eos = CompletionSequences.eos(tokenizer, ID, "the reward model");
            ProgressListener progress = context.progress();
            progress.start(ID + " " + context.data().name(), pairs.size());
            try {
                // chosen and rejected of the same pairs share a batch: half a batch of pairs per forward
                int pairsPerBatch = Math.max(1, config.batchSize() / 2);
                for (int start = 0; start < pairs.size(); start += pairsPerBatch) {
                    int end = Math.min(pairs.size(), start + pairsPerBatch);
                    List<long[]> sequences = new ArrayList<>();
                    for (Example.Preference pair : pairs.subList(start, end)) {
                        sequences.add(sequence(tokenizer, pair.prompt(), pair.chosen(), eos, context.maxLength()));
                        sequences.add(sequence(tokenizer, pair.prompt(), pair.rejected(), eos, context.maxLength()));
                    }
                    double[] rewards = rewardModel.score(sequences, config.batchSize());
                    for (int i = start; i < end; i++) {
                        chosen[i] = rewards[2 * (i - start)];
                        rejected[i] = rewards[2 * (i - start) + 1];
                    }
                    progress.advance(end - start, "");
                }
            } finally {
                progress.finish();
            }
        }
        return metrics(chosen, rejected);
    }

    static List<Metric> metrics(double[] chosen, double[] rejected) {
        double[] outcomes = new double[chosen.length];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = PairOutcome.winTieLoss(chosen[i], rejected[i]);
        }
        return List.of(Metric.mean("reward_accuracy", outcomes, true),
                Metric.mean("reward_margin", PairOutcome.differences(chosen, rejected), true));
    }

    private static long[] sequence(TextTokenizer tokenizer, String prompt, String completion, long eos, int maxLength) {
        return CompletionSequence.of(tokenizer, prompt, completion, eos, maxLength, null).ids();
    }
}
