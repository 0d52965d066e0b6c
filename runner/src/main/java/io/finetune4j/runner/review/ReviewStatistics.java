package io.finetune4j.runner.review;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The outcome of a blind review of stage a against stage b. The win rate is a's share of the decided
 * votes (ties and both-bad left out): {@code wins / (wins + losses)}. Its 95% interval is the percentile
 * interval of {@link #RESAMPLES} seeded bootstrap resamples of the decided votes. The sign test is the
 * exact two-sided binomial test of {@code wins} among {@code wins + losses} against p = 1/2:
 * {@code min(1, 2 * P(X <= min(wins, losses)))}.
 */
public record ReviewStatistics(int wins, int losses, int ties, int bothBad, double winRate, double low, double high,
                               double signTestP) {
    public static final int RESAMPLES = 1000;

    /** From the votes' winners ({@code a}, {@code b}, {@code tie}, {@code both_bad}). */
    public static ReviewStatistics of(List<String> winners, long seed) {
        int wins = count(winners, ReviewVote.A);
        int losses = count(winners, ReviewVote.B);
        int ties = count(winners, ReviewVote.TIE);
        int bothBad = count(winners, ReviewVote.BOTH_BAD);
        int decided = wins + losses;
        if (decided == 0) {
            return new ReviewStatistics(0, 0, ties, bothBad, Double.NaN, Double.NaN, Double.NaN, 1.0);
        }
        double[] rates = new double[RESAMPLES];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < RESAMPLES; r++) {
            int resampledWins = 0;
            for (int i = 0; i < decided; i++) {
                // The decided votes as wins first, then losses: an index below wins is a win.
                if (random.nextInt(decided) < wins) {
                    resampledWins++;
                }
            }
            rates[r] = (double) resampledWins / decided;
        }
        Arrays.sort(rates);
        return new ReviewStatistics(wins, losses, ties, bothBad, (double) wins / decided,
                percentile(rates, 0.025), percentile(rates, 0.975), signTest(wins, losses));
    }

    /** Exact two-sided sign test: twice the lower binomial tail at p = 1/2, capped at 1. */
    static double signTest(int wins, int losses) {
        int n = wins + losses;
        if (n == 0) {
            return 1.0;
        }
        int k = Math.min(wins, losses);
        double tail = 0;
        // log C(n, i) - n log 2, summed in probability space; n stays small (one person's votes).
        double logHalfN = n * Math.log(0.5);
        double logChoose = 0;
        for (int i = 0; i <= k; i++) {
            if (i > 0) {
                logChoose += Math.log(n - i + 1) - Math.log(i);
            }
            tail += Math.exp(logChoose + logHalfN);
        }
        return Math.min(1.0, 2 * tail);
    }

    private static double percentile(double[] sorted, double q) {
        int index = (int) Math.floor(q * (sorted.length - 1));
        double fraction = q * (sorted.length - 1) - index;
        if (index + 1 >= sorted.length) {
            return sorted[sorted.length - 1];
        }
        return sorted[index] + fraction * (sorted[index + 1] - sorted[index]);
    }

    private static int count(List<String> winners, String winner) {
        return (int) winners.stream().filter(winner::equals).count();
    }
}
