package io.finetune4j.alignment.dpo;

import java.util.List;

/**
 * Settings of the {@code dpo} objective (TRL v1.9's {@code DPOConfig} names, {@code trl/trainer/dpo_config.py});
 * pipeline files write the keys in snake_case.
 *
 * @param beta the KL-penalty strength β (TRL default 0.1)
 * @param lossType one loss or several summed with {@code loss_weights} (MPO): {@code sigmoid} (DPO),
 *     {@code hinge}, {@code ipo}, {@code exo_pair}, {@code nca_pair}, {@code robust}, {@code bco_pair},
 *     {@code sppo_hard}, {@code aot}, {@code aot_unpaired}, {@code apo_zero}, {@code apo_down},
 *     {@code discopop}, {@code sft}, {@code sigmoid_norm}; a single name is read as a one-element list
 * @param lossWeights one weight per {@code loss_type}; empty = 1.0 each (TRL's {@code None})
 * @param labelSmoothing ε in [0, 0.5): the flipped-label probability of {@code robust}, {@code aot} and
 *     {@code aot_unpaired}, EXO's smoothing for {@code exo_pair} (which needs ε > 0), and cDPO's for
 *     {@code sigmoid} (a finetune4j choice; TRL ≥ 0.29 ignores it there)
 * @param reference {@code adapters-disabled}: the policy itself with its adapters bypassed (no second copy;
 *     after an SFT stage merged into {@code base: previous}, this is the SFT model), or the path of a
 *     checkpoint directory loaded as a separate frozen model
 * @param precomputeRefLogProbs score every pair with the reference once, when the objective is created, and
 *     keep plain doubles (TRL's {@code precompute_ref_log_probs}); needed when the method trains the base
 *     weights themselves, as the policy's initial state is then the reference
 * @param disableDropout run the policy's forward without dropout (TRL's {@code disable_dropout=True})
 * @param truncationMode {@code keep_start} (TRL v1.9's default: keep the first {@code max_length} tokens and
 *     drop rows whose prompt alone fills {@code max_length}) or {@code keep_end} (keep the last ones)
 * @param rpoAlpha when set, adds {@code rpo_alpha ×} the chosen completions' NLL (RPO, Pang et al. 2024; TRL
 *     &lt; 1.0's {@code rpo_alpha}, TRL v1.9's {@code loss_type: [sigmoid, sft]} with weights {@code [1, α]})
 * @param ldAlpha when set, LD-DPO's weight in [0, 1] of the completion tokens past the shorter completion of
 *     each pair (Liu et al. 2024); null = plain sums
 * @param discopopTau DiscoPOP's τ, the temperature of its logistic/exponential mix (TRL default 0.05)
 */
public record DpoConfig(double beta, List<String> lossType, List<Double> lossWeights, double labelSmoothing,
                        String reference, boolean precomputeRefLogProbs, boolean disableDropout,
                        String truncationMode, Double rpoAlpha, Double ldAlpha, double discopopTau) {
    public DpoConfig {
        lossType = lossType == null ? List.of() : List.copyOf(lossType);
        lossWeights = lossWeights == null ? List.of() : List.copyOf(lossWeights);
    }

    /** One loss type with TRL v1.9's other defaults. */
    public DpoConfig(double beta, String lossType, double labelSmoothing, String reference,
                     boolean precomputeRefLogProbs) {
        this(beta, List.of(lossType), List.of(), labelSmoothing, reference, precomputeRefLogProbs, true,
                "keep_start", null, null, 0.05);
    }
}
