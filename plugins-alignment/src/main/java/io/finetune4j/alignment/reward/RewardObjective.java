package io.finetune4j.alignment.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.alignment.preference.PreferenceLoss;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTokenizer;
import io.finetune4j.alignment.preference.PreferenceTruncation;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.reward.LastNonPadToken;
import io.finetune4j.runtime.reward.RewardHead;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Reward modelling as TRL v1.9's {@code RewardTrainer.compute_loss} ({@code trl/trainer/reward_trainer.py}):
 * chosen and rejected sequences (prompt + completion + EOS, tokenized like DPO's) go through the model in one
 * batch, the {@link RewardHead} scores each sequence at its last non-padding token ({@link LastNonPadToken}), and
 * the loss is the batch mean of {@code −log σ(r_c − r_r − margin)}, plus
 * {@code center_rewards_coefficient · mean((r_c + r_r)²)} when set. Pairs whose chosen or rejected sequence is
 * longer than {@code max_length} are dropped, as TRL filters them, and dropout is off with
 * {@code disable_dropout}. The head {@code score.weight} [1, hidden] is owned here, initialised
 * as Hugging Face initialises a classification head (normal, std 0.02, seeded) and trained alongside the
 * method's parameters.
 */
final class RewardObjective implements Objective {
    private static final double INIT_STD = 0.02;

    private final CausalLM policy;
    private final RewardConfig config;
    private final List<PreferencePair> pairs;
    private final NDArray weight;   // [1, hidden], in the objective's manager

    RewardObjective(RewardConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.pairs = new PreferenceTokenizer(policy.tokenizer(), context.maxLength(), "reward")
                .tokenizeAll(context.trainData(), "reward", PreferenceTruncation.DROP);
        int hidden = policy.config().hiddenSize();
        Random random = new Random(context.seed());
        float[] values = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            values[i] = (float) (random.nextGaussian() * INIT_STD);
        }
        this.weight = context.manager().create(values, new Shape(1, hidden));
        weight.setRequiresGradient(true);
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
    public Map<String, NDArray> trainableParameters() {
        return Map.of(RewardHead.TENSOR, weight);
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        List<PreferencePair> batch = indices.stream().map(pairs::get).toList();
        int count = batch.size();
        NDArray rewards = rewards(batch, !config.disableDropout(), step);              // [2B]
        NDArray chosen = rewards.get("0:" + count);                                    // [B]
        NDArray rejected = rewards.get(count + ":");                                   // [B]
        NDArray loss = PreferenceLoss.bradleyTerryLoss(chosen, rejected, config.margin()).mean();
        if (config.centerRewardsCoefficient() != null) {
            NDArray sum = chosen.add(rejected);
            loss = loss.add(sum.mul(sum).mean().mul(PreferenceLoss.scalar(sum, config.centerRewardsCoefficient())));
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", PreferenceLoss.fractionGreater(chosen, rejected));
        metrics.put("margin", PreferenceLoss.mean(chosen.sub(rejected)));
        metrics.put("rewards/chosen", PreferenceLoss.mean(chosen));
        metrics.put("rewards/rejected", PreferenceLoss.mean(rejected));
        long tokens = 0;
        for (PreferencePair pair : batch) {
            tokens += pair.chosen().length() + pair.rejected().length();
        }
        return new ObjectiveStep(loss, tokens, metrics);
    }

    /** Rewards of the chosen sequences (rows 0..B-1) then the rejected ones (rows B..2B-1): [2B]. */
    NDArray rewards(List<PreferencePair> batch, boolean training, NDManager step) {
        List<TokenizedExample> rows = new ArrayList<>(2 * batch.size());
        batch.forEach(pair -> rows.add(pair.chosen()));
        batch.forEach(pair -> rows.add(pair.rejected()));
        CausalLmBatch collated = CausalLmCollator.collate(rows, policy.tokenizer().padTokenId(), step);
        ForwardInput input = ForwardInput.of(collated.inputIds())
                .withAttentionMask(collated.attentionMask())
                .withTraining(training)
                .withLogits(ForwardInput.Logits.NONE);
        NDArray hidden = policy.forward(input).hiddenStates();                         // [2B, seq, hidden]
        long pad = policy.tokenizer().padTokenId();
        int[] pooled = new int[rows.size()];
        for (int i = 0; i < pooled.length; i++) {
            pooled[i] = LastNonPadToken.poolLength(rows.get(i).ids(), rows.get(i).length(), pad);
        }
        return RewardHead.rewards(hidden, pooled, weight);
    }

    NDArray weight() {
        return weight;
    }

    PreferencePair pair(int index) {
        return pairs.get(index);
    }

    @Override
    public void save(Path stageDir) {
        RewardHead.save(stageDir, weight, policy.config().modelType(), config.margin());
    }
}
