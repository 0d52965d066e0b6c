package io.finetune4j.alignment.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PairLogProbs;
import io.finetune4j.alignment.preference.PreferenceLoss;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTokenizer;
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
 * DPO as TRL's {@code DPOTrainer.dpo_loss}: with {@code x = (π_c − π_r) − (ref_c − ref_r)} (completion
 * log-probs summed, or averaged for IPO) the loss is the batch mean of the chosen variant, and the implicit
 * rewards are {@code β(π − ref)}. The reference never receives a gradient: it runs in evaluation mode and
 * its log-probs are detached, or they are plain doubles computed once at creation.
 */
final class DpoObjective implements Objective {
    private static final int PRECOMPUTE_BATCH = 4;

    private final CausalLM policy;
    private final DpoConfig config;
    private final DpoLossType lossType;
    private final List<PreferencePair> pairs;
    private final boolean referenceIsPolicy;
    private CausalLM referenceModel;     // a separate checkpoint, or null; closed by save()
    private final double[] referenceChosen;   // precomputed, or null
    private final double[] referenceRejected;

    DpoObjective(DpoConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.lossType = DpoLossType.parse(config.lossType());
        this.pairs = new PreferenceTokenizer(policy.tokenizer(), context.maxLength(), "dpo")
                .tokenizeAll(context.trainData(), "dpo");
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

    @Override
    public int exampleCount() {
        return pairs.size();
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        List<PreferencePair> batch = indices.stream().map(pairs::get).toList();
        PairLogProbs policyLogProbs = PairLogProbs.compute(policy, batch, true, step);
        PairLogProbs referenceLogProbs = referenceLogProbs(indices, batch, step);
        if (lossType.averagesLogProbs()) {
            policyLogProbs = policyLogProbs.averaged();
        }
        NDArray logits = PreferenceLoss.dpoLogits(policyLogProbs.chosen(), policyLogProbs.rejected(),
                referenceLogProbs.chosen(), referenceLogProbs.rejected());                    // [B]
        NDArray loss = lossType.losses(logits, config.beta(), config.labelSmoothing()).mean();
        NDArray beta = PreferenceLoss.scalar(logits, config.beta());
        NDArray chosenRewards = policyLogProbs.chosen().sub(referenceLogProbs.chosen()).mul(beta).stopGradient();
        NDArray rejectedRewards = policyLogProbs.rejected().sub(referenceLogProbs.rejected()).mul(beta)
                .stopGradient();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", PreferenceLoss.mean(chosenRewards));
        metrics.put("rewards/rejected", PreferenceLoss.mean(rejectedRewards));
        metrics.put("rewards/accuracies", PreferenceLoss.fractionGreater(chosenRewards, rejectedRewards));
        metrics.put("rewards/margins", PreferenceLoss.mean(chosenRewards.sub(rejectedRewards)));
        metrics.put("logps/chosen", PreferenceLoss.mean(policyLogProbs.chosen()));
        metrics.put("logps/rejected", PreferenceLoss.mean(policyLogProbs.rejected()));
        return new ObjectiveStep(loss, policyLogProbs.tokens(), metrics);
    }

    /** The reference's log-probs of {@code batch} (averaged for IPO), detached, in {@code step}. */
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
        PairLogProbs logProbs = referenceIsPolicy
                ? PairLogProbs.reference(policy, true, batch, step)
                : PairLogProbs.reference(referenceModel, false, batch, step);
        return lossType.averagesLogProbs() ? logProbs.averaged() : logProbs;
    }

    private void precompute(NDManager parent) {
        for (int start = 0; start < pairs.size(); start += PRECOMPUTE_BATCH) {
            int end = Math.min(pairs.size(), start + PRECOMPUTE_BATCH);
            try (NDManager scope = parent.newSubManager()) {
                List<PreferencePair> batch = pairs.subList(start, end);
                PairLogProbs logProbs = referenceIsPolicy
                        ? PairLogProbs.reference(policy, true, batch, scope)
                        : PairLogProbs.reference(referenceModel, false, batch, scope);
                if (lossType.averagesLogProbs()) {
                    logProbs = logProbs.averaged();
                }
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
