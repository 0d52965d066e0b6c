package io.finetune4j.alignment.orpo;

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
 * ORPO as TRL's {@code ORPOTrainer} (TRL v1.9 {@code trl/experimental/orpo/orpo_trainer.py}):
 * {@code loss = NLL_chosen − β · mean(log σ(log_odds))}, where the NLL is the mean cross-entropy over every
 * non-padding token of the chosen sequences after the first, prompt included ("orpo chosen nll loss is computed
 * over the full prompt and response": labels are the input ids where the attention mask is 1), and the log odds
 * ratio uses length-averaged completion log-probs ({@code odds_ratio_loss}). Rewards are {@code β · avg log p}.
 * Dropout is off with {@code disable_dropout} (TRL's default).
 */
final class OrpoObjective implements Objective {
    private final CausalLM policy;
    private final OrpoConfig config;
    private final List<PreferencePair> pairs;

    OrpoObjective(OrpoConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.pairs = new PreferenceTokenizer(policy.tokenizer(), context.maxLength(), "orpo")
                .tokenizeAll(context.trainData(), "orpo");
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
        NDArray nll = sums.chosenSequenceNll();                                                 // scalar
        PairLogProbs means = sums.averaged();
        NDArray logOdds = PreferenceLoss.logOddsRatio(means.chosen(), means.rejected()); // [B]
        NDArray ratio = PreferenceLoss.logSigmoid(logOdds);                               // [B]
        NDArray beta = PreferenceLoss.scalar(ratio, config.beta());
        NDArray loss = nll.sub(ratio.mul(beta).mean());
        NDArray chosenRewards = means.chosen().mul(beta).stopGradient();
        NDArray rejectedRewards = means.rejected().mul(beta).stopGradient();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", PreferenceLoss.mean(chosenRewards));
        metrics.put("rewards/rejected", PreferenceLoss.mean(rejectedRewards));
        metrics.put("rewards/accuracies", PreferenceLoss.fractionGreater(chosenRewards, rejectedRewards));
        metrics.put("rewards/margins", PreferenceLoss.mean(chosenRewards.sub(rejectedRewards)));
        metrics.put("logps/chosen", PreferenceLoss.mean(means.chosen()));
        metrics.put("logps/rejected", PreferenceLoss.mean(means.rejected()));
        metrics.put("nll_loss", (double) nll.stopGradient().getFloat());
        metrics.put("log_odds_ratio", PreferenceLoss.mean(ratio));
        metrics.put("log_odds_chosen", PreferenceLoss.mean(logOdds));
        return new ObjectiveStep(loss, sums.tokens(), metrics);
    }

    PreferencePair pair(int index) {
        return pairs.get(index);
    }
}
