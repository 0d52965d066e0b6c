package io.finetune4j.eval.preference;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.data.TokenizedExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DPO's implicit reward on held-out preference pairs, with TRL's evaluation metric names
 * ({@code DPOTrainer.get_batch_loss_metrics} in trl/trainer/dpo_trainer.py):
 * r = β·(Σ log π(y|x) − Σ log π_ref(y|x)), the sums over the completion tokens and the EOS after them
 * ({@code get_batch_logps}, prompt masked; tokenized as the {@code dpo} stage does, see
 * {@link CompletionSequences}). Per pair: {@code rewards/chosen}, {@code rewards/rejected},
 * {@code rewards/margins} (chosen − rejected) and {@code rewards/accuracies} (1 when chosen &gt; rejected,
 * else 0: TRL's strict comparison, so a tie, e.g. every pair while the policy still equals its reference,
 * counts 0), plus the policy's summed log-probs {@code logps/chosen} and {@code logps/rejected}. Metrics are
 * means with per-example values.
 */
final class DpoRewardAccuracyEvaluator implements Evaluator {
    private static final String ID = DpoRewardAccuracyEvaluatorProvider.ID;

    private final DpoRewardAccuracyConfig config;

    DpoRewardAccuracyEvaluator(DpoRewardAccuracyConfig config) {
        this.config = config;
    }

    @Override
    public void checkData(Dataset data) {
        PreferenceRows.requirePath(config.reference(), ID, "reference",
                "'" + ModelSource.ADAPTERS_DISABLED + "' or the reference checkpoint");
        PreferenceRows.requirePairs(data, ID);
    }

    @Override
    public List<Metric> evaluate(EvalContext context) {
        checkData(context.data());
        CausalLM policy = context.model();
        List<Example.Preference> pairs = PreferenceRows.requirePairs(context.data(), ID);
        long eos = CompletionSequences.eos(policy.tokenizer(), ID, "the evaluated model");
        // rows 2i and 2i+1 are pair i's chosen and rejected sequences
        List<TokenizedExample> rows = new ArrayList<>(2 * pairs.size());
        for (Example.Preference pair : pairs) {
            rows.add(CompletionSequence.of(policy.tokenizer(), pair.prompt(), pair.chosen(), eos,
                    context.maxLength(), pair.source()));
            rows.add(CompletionSequence.of(policy.tokenizer(), pair.prompt(), pair.rejected(), eos,
                    context.maxLength(), pair.source()));
        }
        try (ComparedModel reference = reference(context, rows.get(0).ids())) {
            ProgressListener progress = context.progress();
            progress.start(ID + " " + context.data().name(), 2L * rows.size());
            double[] policySums;
            double[] referenceSums;
            try {
                policySums = CompletionLogProbs.sums(policy, rows, config.batchSize(),
                        n -> progress.advance(n, "policy"));
                referenceSums = reference.call(model -> CompletionLogProbs.sums(model, rows, config.batchSize(),
                        n -> progress.advance(n, "reference")));
            } finally {
                progress.finish();
            }
            return metrics(policySums, referenceSums, config.beta());
        }
    }

    /** The reference, checked (adapters present, or the checkpoint's vocabulary) before any scoring. */
    private ComparedModel reference(EvalContext context, long[] probe) {
        CausalLM policy = context.model();
        if (config.reference().equals(ModelSource.ADAPTERS_DISABLED)) {
            ComparedModel.requireAdapters(policy, probe, ID, "reference");
            return ComparedModel.adaptersDisabled(policy);
        }
        Path dir = ComparedModel.modelDir(context, config.reference(), ID, "reference");
        ComparedModel.requireVocab(context, dir, ID, "reference");
        return ComparedModel.load(context, dir);
    }

    /** Metrics from interleaved sums: element 2i is pair i's chosen sequence, 2i+1 its rejected one. */
    static List<Metric> metrics(double[] policySums, double[] referenceSums, double beta) {
        int n = policySums.length / 2;
        double[] chosen = new double[n];
        double[] rejected = new double[n];
        double[] accurate = new double[n];
        double[] policyChosen = new double[n];
        double[] policyRejected = new double[n];
        for (int i = 0; i < n; i++) {
            policyChosen[i] = policySums[2 * i];
            policyRejected[i] = policySums[2 * i + 1];
            chosen[i] = beta * (policySums[2 * i] - referenceSums[2 * i]);
            rejected[i] = beta * (policySums[2 * i + 1] - referenceSums[2 * i + 1]);
            accurate[i] = PairOutcome.strictlyGreater(chosen[i], rejected[i]);
        }
        return List.of(
                Metric.mean("rewards/accuracies", accurate, true),
                Metric.mean("rewards/margins", PairOutcome.differences(chosen, rejected), true),
                Metric.mean("rewards/chosen", chosen, true),
                Metric.mean("rewards/rejected", rejected, false),
                Metric.mean("logps/chosen", policyChosen, true),
                Metric.mean("logps/rejected", policyRejected, false));
    }
}
