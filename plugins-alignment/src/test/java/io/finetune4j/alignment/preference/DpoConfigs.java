package io.finetune4j.alignment.preference;

import java.util.List;

/** Test constants shared by the preference tests. */
final class DpoConfigs {
    /** Every DPO loss type of TRL v1.9's {@code DPOConfig.loss_type}. */
    static final List<String> ALL_LOSS_TYPES = List.of("sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust",
            "bco_pair", "sppo_hard", "aot", "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm");

    private DpoConfigs() {}
}
