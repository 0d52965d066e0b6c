package io.finetune4j.alignment.ppo;

/**
 * Settings of the {@code ppo} objective; pipeline files write them in snake_case. Names and defaults are
 * TRL's {@code PPOConfig} ({@code trl/trainer/ppo_config.py}) where it has the setting; the adaptive KL
 * controller ({@code adap_kl_ctrl}, {@code target}, {@code horizon}) is older TRL's, after Ziegler et al.
 *
 * @param numPpoEpochs passes over each rollout
 * @param numMiniBatches micro-batches per pass; a rollout holds {@code num_mini_batches × batch_size} prompts
 * @param responseLength at most this many new tokens per response (TRL's {@code response_length})
 * @param temperature sampling temperature; the log-probs are those of the tempered distribution
 * @param klCoef initial (or fixed) coefficient of the per-token KL penalty
 * @param klEstimator {@code k1} or {@code k3}
 * @param adapKlCtrl adapt {@code kl_coef} towards {@code target} after each rollout
 * @param target the adaptive controller's target KL (per response, summed over tokens)
 * @param horizon the adaptive controller's horizon, in samples
 * @param cliprange ε of the clipped policy ratio
 * @param cliprangeValue ε of the clipped value prediction
 * @param vfCoef weight of the value loss
 * @param gamma discount
 * @param lam GAE λ
 * @param whitenRewards whiten the per-token rewards over the rollout before GAE
 * @param missingEosPenalty subtracted from the score of a response that ends without EOS (0 = off)
 * @param reference {@code adapters-disabled} or a checkpoint directory
 */
public record PpoConfig(
        int numPpoEpochs,
        int numMiniBatches,
        int responseLength,
        double temperature,
        double klCoef,
        String klEstimator,
        boolean adapKlCtrl,
        double target,
        double horizon,
        double cliprange,
        double cliprangeValue,
        double vfCoef,
        double gamma,
        double lam,
        boolean whitenRewards,
        double missingEosPenalty,
        String reference) {}
