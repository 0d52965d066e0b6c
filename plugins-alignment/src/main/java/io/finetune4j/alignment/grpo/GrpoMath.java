package io.finetune4j.alignment.grpo;

/**
 * Group-relative advantages as TRL's {@code GRPOTrainer._generate_and_score_completions}: rewards come in
 * consecutive groups of {@code G} completions of one prompt; each advantage is {@code r − mean(group)},
 * divided by {@code std(group) + 1e-4} (unbiased std, as {@code torch.std}) when {@code scaleRewards}.
 */
public final class GrpoMath {
    private static final double EPS = 1e-4;

    private GrpoMath() {}

    public static double[] advantages(double[] rewards, int groupSize, boolean scaleRewards) {
        if (rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize);
        }
        double[] advantages = new double[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = groupMean(rewards, start, groupSize);
            double std = groupStd(rewards, start, groupSize);
            for (int i = start; i < start + groupSize; i++) {
                advantages[i] = rewards[i] - mean;
                if (scaleRewards) {
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
