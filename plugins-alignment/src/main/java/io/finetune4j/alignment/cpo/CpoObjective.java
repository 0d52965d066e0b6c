package io.finetune4j.alignment.cpo;

import static io.finetune4j.alignment.preference.PreferenceLoss.scalar;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PairLogProbs;
import io.finetune4j.alignment.preference.PreferenceLoss;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTokenizer;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPO and SimPO as TRL v1.9's {@code CPOTrainer.cpo_loss} ({@code trl/experimental/cpo/cpo_trainer.py}), no
 * reference model. With the policy's completion log-probs (averaged over the completion's tokens for
 * {@code ipo} and {@code simpo}, summed otherwise) and {@code x = log π(y_c) − log π(y_r)}:
 * <pre>
 *   sigmoid: −logσ(βx)(1 − ε) − logσ(−βx)ε
 *   simpo:   the same with x − γ/β         (SimPO eq. 6: −logσ(β·avg_c − β·avg_r − γ))
 *   hinge:   relu(1 − βx)
 *   ipo:     (x − 1/(2β))²
 * </pre>
 * {@code loss = mean(L) + cpo_alpha · NLL}, the NLL the mean cross-entropy over the chosen completions' tokens
 * (TRL's {@code concatenated_labels}, prompt masked). Rewards are {@code β · log π}. Rows are tokenized like
 * DPO's and keep their last {@code max_length} tokens (TRL's CPO cuts the prompt first).
 */
final class CpoObjective implements Objective {
    private final CausalLM policy;
    private final CpoConfig config;
    private final boolean averaged;
    private final List<PreferencePair> pairs;

    CpoObjective(CpoConfig config, ObjectiveContext context, String id) {
        this.policy = context.policy();
        this.config = config;
        this.averaged = config.lossType().equals("ipo") || config.lossType().equals("simpo");
        this.pairs = new PreferenceTokenizer(policy.tokenizer(), context.maxLength(), id)
                .tokenizeAll(context.trainData(), id);
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
        PairLogProbs sums = PairLogProbs.compute(policy, batch, !config.disableDropout(), null, step);
        PairLogProbs logps = averaged ? sums.averaged() : sums;
        NDArray x = logps.chosen().sub(logps.rejected());                                  // [B]
        NDArray losses = switch (config.lossType()) {
            case "simpo" -> PreferenceLoss.sigmoidLoss(x.sub(scalar(x, config.simpoGamma() / config.beta())),
                    config.beta(), config.labelSmoothing());
            case "hinge" -> PreferenceLoss.hingeLoss(x, config.beta());
            case "ipo" -> PreferenceLoss.ipoLoss(x, config.beta());
            default -> PreferenceLoss.sigmoidLoss(x, config.beta(), config.labelSmoothing());
        };
        NDArray nll = sums.chosenNll();
        NDArray loss = losses.mean();
        if (config.cpoAlpha() != 0) {
            loss = loss.add(nll.mul(scalar(nll, config.cpoAlpha())));
        }
        NDArray beta = scalar(x, config.beta());
        NDArray chosenRewards = logps.chosen().mul(beta).stopGradient();
        NDArray rejectedRewards = logps.rejected().mul(beta).stopGradient();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", PreferenceLoss.mean(chosenRewards));
        metrics.put("rewards/rejected", PreferenceLoss.mean(rejectedRewards));
        metrics.put("rewards/accuracies", PreferenceLoss.fractionGreater(chosenRewards, rejectedRewards));
        metrics.put("rewards/margins", PreferenceLoss.mean(chosenRewards.sub(rejectedRewards)));
        metrics.put("logps/chosen", PreferenceLoss.mean(logps.chosen()));
        metrics.put("logps/rejected", PreferenceLoss.mean(logps.rejected()));
        metrics.put("nll_loss", (double) nll.stopGradient().getFloat());
        return new ObjectiveStep(loss, sums.tokens(), metrics);
    }

    PreferencePair pair(int index) {
        return pairs.get(index);
    }
}
