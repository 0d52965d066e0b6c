package io.finetune4j.alignment.kto;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferenceLoss;
import io.finetune4j.alignment.preference.PreferenceTokenizer;
import io.finetune4j.alignment.rollout.ReferencePolicy;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.loss.LossMath;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * KTO as TRL v1.9's {@code KTOTrainer._compute_loss} ({@code trl/trainer/kto_trainer.py}). Each example is
 * prompt + completion + EOS, its completion log-probs summed, {@code ρ = log π − log π_ref}; the KL baseline is
 * estimated from mismatched pairs: completions rotated by one within the micro-batch ({@code (x_i, y_{i−1})},
 * TRL's {@code KL_completion_ids}), {@code z = max(0, mean(log π − log π_ref))}, detached. Per example
 * <pre>
 *   kto:               desirable 1 − σ(β(ρ − z)),   undesirable 1 − σ(β(z − ρ))
 *   apo_zero_unpaired: desirable 1 − σ(βρ),         undesirable σ(βρ)
 * </pre>
 * weighted by {@code desirable_weight}/{@code undesirable_weight} and averaged over the micro-batch.
 *
 * <p>Data: {@code {"prompt", "chosen", "rejected"}} rows, each split into a desirable (chosen) and an undesirable
 * (rejected) example as TRL's {@code unpair_preference_dataset}. Sequences keep their first {@code max_length}
 * tokens and examples whose prompt alone fills {@code max_length} are dropped (TRL's keep_start).
 */
final class KtoObjective implements Objective {
    static final String ID = "kto";

    private final CausalLM policy;
    private final KtoConfig config;
    private final boolean apoZero;
    private final int maxLength;
    private final long eos;
    private final List<KtoExample> examples;
    private final ReferencePolicy reference;

    KtoObjective(KtoConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.apoZero = config.lossType().equals("apo_zero_unpaired");
        this.maxLength = context.maxLength();
        PreferenceTokenizer tokenizer = new PreferenceTokenizer(policy.tokenizer(), maxLength, ID);
        this.eos = policy.tokenizer().eosTokenIds()[0];
        this.examples = unpair(context.trainData(), tokenizer);
        this.reference = ReferencePolicy.of(config.reference(), context, ID);
    }

    /** TRL's {@code unpair_preference_dataset}: (prompt, chosen, True) then (prompt, rejected, False) per row. */
    private List<KtoExample> unpair(List<Dataset> datasets, PreferenceTokenizer tokenizer) {
        List<KtoExample> unpaired = new ArrayList<>();
        int dropped = 0;
        for (Dataset dataset : datasets) {
            for (Example example : dataset.examples()) {
                if (!(example instanceof Example.Preference row)) {
                    throw new ConfigException(String.format(Locale.ROOT, "%s: %s trains on preference rows "
                                    + "{\"prompt\", \"chosen\", \"rejected\"} (each split into a desirable and an "
                                    + "undesirable example), found a %s row", example.source(), ID,
                            example.getClass().getSimpleName()));
                }
                long[] prompt = tokenizer.encodePrompt(row.prompt());
                // the tokenizer's checks: a non-empty completion, named by its key
                long[] chosen = completion(tokenizer, prompt, row.chosen(), "chosen", row);
                long[] rejected = completion(tokenizer, prompt, row.rejected(), "rejected", row);
                if (prompt.length >= maxLength) {
                    dropped += 2;
                    continue;
                }
                unpaired.add(new KtoExample(prompt, chosen, true, row.source()));
                unpaired.add(new KtoExample(prompt, rejected, false, row.source()));
            }
        }
        if (unpaired.isEmpty()) {
            throw new ConfigException(dropped == 0 ? ID + ": the training data has no rows"
                    : String.format(Locale.ROOT, "%s: every prompt fills max_length (%d), so every example was "
                    + "dropped (TRL's keep_start); raise max_length", ID, maxLength));
        }
        return List.copyOf(unpaired);
    }

    private static long[] completion(PreferenceTokenizer tokenizer, long[] prompt, String text, String key,
                                     Example.Preference row) {
        TokenizedExample sequence = tokenizer.sequence(prompt, text, key, row.source());
        long[] ids = sequence.ids();
        return java.util.Arrays.copyOfRange(ids, prompt.length, ids.length - 1);   // without the EOS
    }

    /** TRL calls the model without labels here, so PEFT adds no AdaLoRA orthogonality penalty (see the SPI). */
    @Override
    public boolean addsMethodRegularization() {
        return false;
    }

    @Override
    public int exampleCount() {
        return examples.size();
    }

    /** Prompt {@code i} followed by completion {@code j} and EOS, keep_start truncated. */
    private TokenizedExample sequence(KtoExample prompt, KtoExample completion) {
        return CompletionSequence.of(prompt.promptIds(), completion.completionIds(), eos, 0, prompt.source())
                .truncate(maxLength);
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        List<KtoExample> batch = indices.stream().map(examples::get).toList();
        int n = batch.size();
        List<TokenizedExample> matched = new ArrayList<>(n);
        List<TokenizedExample> mismatched = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            matched.add(sequence(batch.get(i), batch.get(i)));
            mismatched.add(sequence(batch.get(i), batch.get((i + n - 1) % n)));
        }
        NDArray policyLogProbs = logProbs(policy, matched, !config.disableDropout(), step);          // [n]
        NDArray referenceLogProbs = referenceLogProbs(matched, step);                                 // [n]
        NDArray ratios = policyLogProbs.sub(referenceLogProbs);                                       // ρ, [n]
        double kl = 0;
        if (!apoZero) {
            if (n < 2) {
                throw new ConfigException(ID + ": batch_size must be > 1: the KL baseline pairs each prompt with "
                        + "another example's completion (TRL raises the same)");
            }
            NDArray klPolicy = logProbs(policy, mismatched, false, step).stopGradient();
            NDArray klReference = referenceLogProbs(mismatched, step);
            kl = Math.max(0, klPolicy.sub(klReference).mean().getFloat());
        }
        float[] weights = new float[n];
        float[] signs = new float[n];
        for (int i = 0; i < n; i++) {
            boolean desirable = batch.get(i).desirable();
            weights[i] = (float) (desirable ? config.desirableWeight() : config.undesirableWeight());
            signs[i] = desirable ? 1f : -1f;
        }
        NDArray sign = step.create(signs);
        NDArray losses = KtoLoss.losses(ratios, sign, config.beta(), kl, apoZero);                     // [n]
        NDArray loss = losses.mul(step.create(weights)).mean();
        return new ObjectiveStep(loss, tokens(matched), metrics(batch, policyLogProbs, ratios, kl));
    }

    private Map<String, Double> metrics(List<KtoExample> batch, NDArray policyLogProbs, NDArray ratios, double kl) {
        float[] logps = policyLogProbs.stopGradient().toFloatArray();
        float[] rho = ratios.stopGradient().toFloatArray();
        double[] rewardSum = new double[2];
        double[] logpSum = new double[2];
        int[] count = new int[2];
        for (int i = 0; i < batch.size(); i++) {
            int k = batch.get(i).desirable() ? 0 : 1;
            rewardSum[k] += config.beta() * rho[i];
            logpSum[k] += logps[i];
            count[k]++;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("kl", kl);
        if (count[0] > 0) {
            metrics.put("rewards/chosen", rewardSum[0] / count[0]);
            metrics.put("logps/chosen", logpSum[0] / count[0]);
        }
        if (count[1] > 0) {
            metrics.put("rewards/rejected", rewardSum[1] / count[1]);
            metrics.put("logps/rejected", logpSum[1] / count[1]);
        }
        if (count[0] > 0 && count[1] > 0) {
            metrics.put("rewards/margins", rewardSum[0] / count[0] - rewardSum[1] / count[1]);
        }
        return metrics;
    }

    private static long tokens(List<TokenizedExample> rows) {
        return rows.stream().mapToLong(TokenizedExample::length).sum();
    }

    /** Σ log p over each row's completion targets, {@code [rows]}; recorded unless the caller detaches it. */
    static NDArray logProbs(CausalLM model, List<TokenizedExample> rows, boolean training, NDManager step) {
        CausalLmBatch batch = CausalLmCollator.collate(rows, model.tokenizer().padTokenId(), step);
        ForwardInput input = ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask())
                .withTraining(training);
        NDArray tokenLogProbs = model.scoreTargets(input, batch.targetIds()).logProbs();   // [rows, seq - 1]
        return LossMath.sequenceSums(tokenLogProbs, batch.targetMask());
    }

    /** The reference's summed completion log-probs, evaluation mode, detached. */
    private NDArray referenceLogProbs(List<TokenizedExample> rows, NDManager step) {
        if (reference.checkpoint() != null) {
            return logProbs(reference.checkpoint(), rows, false, step).stopGradient();
        }
        try (AdapterScope off = policy.disableAdapters()) {
            return logProbs(policy, rows, false, step).stopGradient();
        }
    }

    KtoExample example(int index) {
        return examples.get(index);
    }

    /** KTO writes no artifact of its own; releases a checkpoint reference. */
    @Override
    public void save(Path stageDir) {
        reference.close();
    }
}
