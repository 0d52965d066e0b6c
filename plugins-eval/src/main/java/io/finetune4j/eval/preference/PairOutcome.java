package io.finetune4j.eval.preference;

/** Per-example outcomes of comparing two scores, averaged by the metrics into rates. */
public final class PairOutcome {
    private PairOutcome() {}

    /** 1 when {@code first > second}, 0.5 on an exact tie, 0 otherwise. */
    public static double winTieLoss(double first, double second) {
        if (first > second) {
            return 1;
        }
        return first == second ? 0.5 : 0;
    }

    /** 1 when {@code first > second}, else 0 (TRL's {@code (chosen_rewards > rejected_rewards).float()}). */
    public static double strictlyGreater(double first, double second) {
        return first > second ? 1 : 0;
    }

    public static double[] differences(double[] first, double[] second) {
        double[] result = new double[first.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = first[i] - second[i];
        }
        return result;
    }
}
