package io.finetune4j.alignment.cpo;

/**
 * Settings of the {@code cpo} and {@code simpo} objectives (TRL v1.9's {@code CPOConfig} names,
 * {@code trl/experimental/cpo/cpo_config.py}); pipeline files write the keys in snake_case.
 *
 * @param beta β of the preference loss (TRL default 0.1)
 * @param labelSmoothing ε of the label-smoothed sigmoid ({@code sigmoid}, {@code simpo}), in [0, 0.5)
 * @param lossType {@code sigmoid} (CPO, Xu et al. 2024), {@code hinge}, {@code ipo} or {@code simpo} (Meng et al.
 *     2024: length-averaged log-probs and a target margin)
 * @param cpoAlpha weight of the chosen completions' NLL (CPO's behaviour-cloning term; TRL default 1.0, 0 for SimPO)
 * @param simpoGamma SimPO's target reward margin γ (TRL default 0.5)
 * @param disableDropout run the forward without dropout (TRL's {@code disable_dropout=True})
 */
public record CpoConfig(double beta, double labelSmoothing, String lossType, double cpoAlpha, double simpoGamma,
                        boolean disableDropout) {}
