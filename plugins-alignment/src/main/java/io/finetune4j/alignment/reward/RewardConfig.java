package io.finetune4j.alignment.reward;

/**
 * Settings of the {@code reward} objective (reward modelling, TRL v1.9's {@code RewardTrainer},
 * {@code trl/trainer/reward_config.py}); pipeline files write the keys in snake_case.
 *
 * @param margin a constant subtracted inside the Bradley–Terry loss, {@code −log σ(r_c − r_r − margin)}.
 *     TRL reads a per-row {@code margin} column; the dataset API's preference rows carry prompt, chosen and
 *     rejected only, so one value applies to every pair (0 = the plain Bradley–Terry loss)
 * @param centerRewardsCoefficient when set, adds {@code c · mean((r_c + r_r)²)} to the loss (Eisenstein et al.
 *     2023, eq. 2), pulling rewards towards zero mean; null = off (TRL's default {@code None})
 * @param disableDropout run the forward without dropout, as TRL's {@code disable_dropout=True}
 */
public record RewardConfig(double margin, Double centerRewardsCoefficient, boolean disableDropout) {}
