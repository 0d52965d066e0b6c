package io.finetune4j.alignment.dpo;

import ai.djl.ndarray.NDArray;
import io.finetune4j.alignment.preference.PreferenceLoss;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The DPO loss variants of TRL v1.9's {@code DPOTrainer._compute_loss} ({@code trl/trainer/dpo_trainer.py}),
 * each per pair ({@code [B]}) from the scores of {@link DpoScores}.
 */
enum DpoLossType {
    SIGMOID, HINGE, IPO, EXO_PAIR, NCA_PAIR, ROBUST, BCO_PAIR, SPPO_HARD, AOT, AOT_UNPAIRED, APO_ZERO, APO_DOWN,
    DISCOPOP, SFT, SIGMOID_NORM;

    static final List<String> NAMES = Arrays.stream(values()).map(DpoLossType::configName).toList();

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static DpoLossType parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Per-pair losses, [B] ({@code sft}: the batch's chosen NLL, a scalar whose mean is itself). */
    NDArray losses(DpoScores s, DpoConfig config) {
        double beta = config.beta();
        double eps = config.labelSmoothing();
        return switch (this) {
            case SIGMOID -> PreferenceLoss.sigmoidLoss(s.delta(), beta, eps);
            case HINGE -> PreferenceLoss.hingeLoss(s.delta(), beta);
            case IPO -> PreferenceLoss.ipoLoss(s.averagedDelta(), beta);
            case EXO_PAIR -> DpoLosses.exoPair(s.delta(), beta, eps);
            case NCA_PAIR -> DpoLosses.ncaPair(s.chosenLogRatios(), s.rejectedLogRatios(), beta);
            case ROBUST -> PreferenceLoss.robustLoss(s.delta(), beta, eps);
            case BCO_PAIR -> DpoLosses.bcoPair(s.chosenLogRatios(), s.rejectedLogRatios(), beta);
            case SPPO_HARD -> DpoLosses.sppoHard(s.chosenLogRatios(), s.rejectedLogRatios(), beta);
            case AOT -> DpoLosses.aot(s.policyLogRatios(), s.referenceLogRatios(), beta, eps);
            case AOT_UNPAIRED -> DpoLosses.aot(s.chosenLogRatios(), s.rejectedLogRatios(), beta, eps);
            case APO_ZERO -> DpoLosses.apoZero(s.chosenLogRatios(), s.rejectedLogRatios(), beta);
            case APO_DOWN -> DpoLosses.apoDown(s.chosenLogRatios(), s.delta(), beta);
            case DISCOPOP -> DpoLosses.discopop(s.delta(), beta, config.discopopTau());
            case SFT -> s.chosenNll();
            case SIGMOID_NORM -> PreferenceLoss.sigmoidLoss(s.averagedDelta(), beta, 0);
        };
    }
}
