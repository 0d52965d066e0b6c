package io.finetune4j.alignment.reward;

/**
 * Settings of the {@code reward} objective (reward modelling, TRL's {@code RewardTrainer}); pipeline files
 * write the keys in snake_case.
 *
 * @param margin a constant subtracted inside the Bradley–Terry loss, {@code −log σ(r_c − r_r − margin)}.
 *     TRL reads a per-row {@code margin} column; preference rows here carry none, so one value applies to
 *     every pair (0 = the plain Bradley–Terry loss)
 */
public record RewardConfig(double margin) {}
