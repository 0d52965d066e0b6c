package io.finetune4j.alignment.sft;

import java.util.List;

/**
 * The {@code kl_to_base} term of the {@code sft} objective: {@code coefficient × KL} between the policy and the
 * base (the policy with its adapters disabled), token-level, averaged over the batch's target tokens.
 *
 * @param coefficient β; 0 turns the term off (the default)
 * @param direction {@code forward} = KL(base ‖ policy) = Σ p_base (log p_base − log p_policy), as knowledge
 *     distillation from the base; {@code reverse} = KL(policy ‖ base), as the KL penalty of RLHF
 */
public record KlToBaseConfig(double coefficient, String direction) {
    static final List<String> DIRECTIONS = List.of("forward", "reverse");
    static final KlToBaseConfig OFF = new KlToBaseConfig(0.0, "forward");

    public KlToBaseConfig {
        if (direction == null) {
            direction = "forward";
        }
    }

    boolean enabled() {
        return coefficient > 0;
    }

    boolean reverse() {
        return direction.equals("reverse");
    }
}
