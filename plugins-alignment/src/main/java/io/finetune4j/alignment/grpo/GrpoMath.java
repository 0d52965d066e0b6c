package io.finetune4j.alignment.grpo;

import java.util.List;

/**
 * Group-relative advantages as TRL v1.9's {@code GRPOTrainer._generate_and_score_completions}: rewards come in
 * consecutive groups of {@code G} completions of one prompt; each advantage is {@code r − mean(group)},
 * divided by {@code std + 1e-4} (unbiased std, as TRL's {@code nanstd}) with {@code scale_rewards}:
 * {@code group} the group's std, {@code batch} the std of every reward of the generation batch, {@code none}
 * no division.
 */
public final class GrpoMath {
    public static final List<String> SCALINGS = List.of("group", "batch", "none");

    private static final double EPS = 1e-4;

    private GrpoMath() {}

    /** {@code scaleRewards} true is {@code group}, false {@code none} (TRL's boolean spelling). */
    public static double[] advantages(double[] rewards, int groupSize, boolean scaleRewards) {
        return advantages(rewards, groupSize, scaleRewards ? "group" : "none");
    }

    public static double[] advantages(double[] rewards, int groupSize, String scaleRewards) {
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize);
        }
        double batchStd = scaleRewards.equals("batch") ? groupStd(rewards, 0, rewards.length) : 0;
        double[] advantages = new double[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = groupMean(rewards, start, groupSize);
            double std = scaleRewards.equals("batch") ? batchStd : groupStd(rewards, start, groupSize);
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = rewards[i] - mean;
                if (!scaleRewards.equals("none")) {
                    advantages[i] /= std + EPS;
                }
            }
        }
        return advantages;
    }

    public static double groupMean(double[] rewards, int start, int groupSize) {
        double sum = 0;
        for (int i = start; i < start + groupSize; i++) {
            sum += rewards[i];
        }
        return sum / groupSize;
    }

    /** Unbiased (n − 1) standard deviation of one group. */
    public static double groupStd(double[] rewards, int start, int groupSize) {
        double mean = groupMean(rewards, start, groupSize);
        double squares = 0;
        for (int i = start; i < start + groupSize; i++) {
            squares += (rewards[i] - mean) * (rewards[i] - mean);
        }
        return Math.sqrt(squares / (groupSize - 1));
    }
}
