package io.finetune4j.alignment.dpo;

import io.finetune4j.alignment.preference.PreferenceLoss;
import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The DPO loss variants of TRL's {@code dpo_loss}, applied to the implicit-reward difference {@code x}. */
enum DpoLossType {
    SIGMOID, IPO, HINGE, ROBUST;

    static final List<String> NAMES = Arrays.stream(values()).map(DpoLossType::configName).toList();

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static DpoLossType parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** IPO works on length-averaged log-probs (TRL divides by the completion length for {@code ipo}). */
    boolean averagesLogProbs() {
        return this == IPO;
    }

    /** Per-pair losses, [B]. */
    NDArray losses(NDArray logits, double beta, double labelSmoothing) {
        return switch (this) {
            case SIGMOID -> PreferenceLoss.sigmoidLoss(logits, beta, labelSmoothing);
            case IPO -> PreferenceLoss.ipoLoss(logits, beta);
            case HINGE -> PreferenceLoss.hingeLoss(logits, beta);
            case ROBUST -> PreferenceLoss.robustLoss(logits, beta, labelSmoothing);
        };
    }
}
