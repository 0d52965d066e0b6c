package io.finetune4j.alignment.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PairLogProbs;
import io.finetune4j.alignment.preference.PreferenceLoss;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTokenizer;
import io.finetune4j.alignment.preference.PreferenceTruncation;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO as TRL v1.9's {@code DPOTrainer._compute_loss} ({@code trl/trainer/dpo_trainer.py}): with the summed
 * completion log-probs of policy and reference ({@link DpoScores}), the loss is {@code Σ_k w_k · mean(L_k)} over
 * the configured {@code loss_type}s ({@link DpoLossType}), plus {@code rpo_alpha} times the chosen NLL when set,
 * and the implicit rewards are {@code β(π − ref)}. The policy's forward runs without dropout when
 * {@code disable_dropout} (TRL's default). The reference never receives a gradient: it runs in evaluation mode
 * and its log-probs are detached, or they are plain doubles computed once at creation.
 */
final class DpoObjective implements Objective {
    private static final int PRECOMPUTE_BATCH = 4;

    private final CausalLM policy;
    private final DpoConfig config;
    private final List<DpoLossType> lossTypes;
    private final double[] lossWeights;
    private final List<PreferencePair> pairs;
    private final boolean referenceIsPolicy;
    private CausalLM referenceModel;     // a separate checkpoint, or null; closed by save()
    private final double[] referenceChosen;   // precomputed, or null
    private final double[] referenceRejected;

    DpoObjective(DpoConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.lossTypes = config.lossType().stream().map(DpoLossType::parse).toList();
        this.lossWeights = new double[lossTypes.size()];
        for (int i = 0; i < lossWeights.length; i++) {
            lossWeights[i] = config.lossWeights().isEmpty() ? 1.0 : config.lossWeights().get(i);
        }
        this.pairs = new PreferenceTokenizer(policy.tokenizer(), context.maxLength(), "dpo")
                .tokenizeAll(context.trainData(), "dpo", PreferenceTruncation.parse(config.truncationMode()));
        this.referenceIsPolicy = config.reference().equals(ModelSource.ADAPTERS_DISABLED);
        if (referenceIsPolicy) {
            boolean baseTrains = policy.parameters().values().stream().anyMatch(NDArray::hasGradient);
            if (baseTrains && !config.precomputeRefLogProbs()) {
                throw new ConfigException("reference: '" + ModelSource.ADAPTERS_DISABLED + "' is the"
                        + " policy itself when the method trains the base weights; use an adapter method, set"
                        + " precompute_ref_log_probs: true, or give a checkpoint directory");
            }
        } else {
            referenceModel = loadReference(Path.of(config.reference()), context.models());
        }
        if (config.precomputeRefLogProbs()) {
            referenceChosen = new double[pairs.size()];
            referenceRejected = new double[pairs.size()];
            precompute(context.manager());
            if (referenceModel != null) {
                referenceModel.close();
                referenceModel = null;
            }
        } else {
            referenceChosen = null;
            referenceRejected = null;
        }
    }

    /** TRL calls the model without labels here, so PEFT adds no AdaLoRA orthogonality penalty (see the SPI). */
    @Override
    public boolean addsMethodRegularization() {
        return false;
    }

    @Override
    public int exampleCount() {
        return pairs.size();
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        List<PreferencePair> batch = indices.stream().map(pairs::get).toList();
        PairLogProbs policyLogProbs = PairLogProbs.compute(policy, batch, !config.disableDropout(), config.ldAlpha(),
                step);
        PairLogProbs referenceLogProbs = referenceLogProbs(indices, batch, step);
        DpoScores scores = new DpoScores(policyLogProbs.chosen(), policyLogProbs.rejected(),
                referenceLogProbs.chosen(), referenceLogProbs.rejected(), policyLogProbs.chosenCounts(),
                policyLogProbs.rejectedCounts(), policyLogProbs.chosenNll());
        NDArray loss = null;
        for (int i = 0; i < lossTypes.size(); i++) {
            NDArray term = lossTypes.get(i).losses(scores, config).mean();
            NDArray weighted = lossWeights[i] == 1.0 ? term : term.mul(PreferenceLoss.scalar(term, lossWeights[i]));
            loss = loss == null ? weighted : loss.add(weighted);
        }
        if (config.rpoAlpha() != null) {
            NDArray nll = policyLogProbs.chosenNll();
            loss = loss.add(nll.mul(PreferenceLoss.scalar(nll, config.rpoAlpha())));
        }
        NDArray beta = PreferenceLoss.scalar(loss, config.beta());
        NDArray chosenRewards = scores.chosenLogRatios().mul(beta).stopGradient();
        NDArray rejectedRewards = scores.rejectedLogRatios().mul(beta).stopGradient();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", PreferenceLoss.mean(chosenRewards));
        metrics.put("rewards/rejected", PreferenceLoss.mean(rejectedRewards));
        metrics.put("rewards/accuracies", PreferenceLoss.fractionGreater(chosenRewards, rejectedRewards));
        metrics.put("rewards/margins", PreferenceLoss.mean(chosenRewards.sub(rejectedRewards)));
        metrics.put("logps/chosen", PreferenceLoss.mean(policyLogProbs.chosen()));
        metrics.put("logps/rejected", PreferenceLoss.mean(policyLogProbs.rejected()));
        if (config.rpoAlpha() != null || lossTypes.contains(DpoLossType.SFT)) {
            metrics.put("nll_loss", (double) policyLogProbs.chosenNll().stopGradient().getFloat());
        }
        return new ObjectiveStep(loss, policyLogProbs.tokens(), metrics);
    }

    /** The reference's summed log-probs of {@code batch}, detached, in {@code step}. */
    private PairLogProbs referenceLogProbs(List<Integer> indices, List<PreferencePair> batch, NDManager step) {
        if (referenceChosen != null) {
            double[] chosen = new double[indices.size()];
            double[] rejected = new double[indices.size()];
            for (int i = 0; i < indices.size(); i++) {
                chosen[i] = referenceChosen[indices.get(i)];
                rejected[i] = referenceRejected[indices.get(i)];
            }
            return new PairLogProbs(step.create(toFloats(chosen)), step.create(toFloats(rejected)),
                    null, null, 0);
        }
        return referenceIsPolicy
                ? PairLogProbs.reference(policy, true, batch, config.ldAlpha(), step)
                : PairLogProbs.reference(referenceModel, false, batch, config.ldAlpha(), step);
    }

    private void precompute(NDManager parent) {
        for (int start = 0; start < pairs.size(); start += PRECOMPUTE_BATCH) {
            int end = Math.min(pairs.size(), start + PRECOMPUTE_BATCH);
            try (NDManager scope = parent.newSubManager()) {
                List<PreferencePair> batch = pairs.subList(start, end);
                PairLogProbs logProbs = referenceIsPolicy
                        ? PairLogProbs.reference(policy, true, batch, config.ldAlpha(), scope)
                        : PairLogProbs.reference(referenceModel, false, batch, config.ldAlpha(), scope);
                float[] chosen = logProbs.chosen().toFloatArray();
                float[] rejected = logProbs.rejected().toFloatArray();
                for (int i = start; i < end; i++) {
                    referenceChosen[i] = chosen[i - start];
                    referenceRejected[i] = rejected[i - start];
                }
            }
        }
    }

    private CausalLM loadReference(Path dir, ModelSource models) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("reference: no checkpoint directory at " + dir.toAbsolutePath()
                    + "; use '" + ModelSource.ADAPTERS_DISABLED + "' or a model directory");
        }
        return models.loadSharingVocabulary(dir, policy, "the policy", "reference");
    }

    /** Precomputed reference log-probs of pair {@code index}: {chosen, rejected} (null when not precomputed). */
    double[] precomputedReference(int index) {
        return referenceChosen == null ? null : new double[] {referenceChosen[index], referenceRejected[index]};
    }

    /** The separately loaded reference checkpoint, or null (tests check it never trains). */
    CausalLM referenceModel() {
        return referenceModel;
    }

    PreferencePair pair(int index) {
        return pairs.get(index);
    }

    /** Releases a checkpoint reference once training is over; DPO writes no artifact of its own. */
    @Override
    public void save(Path stageDir) {
        if (referenceModel != null) {
            referenceModel.close();
            referenceModel = null;
        }
    }

    private static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }
}
