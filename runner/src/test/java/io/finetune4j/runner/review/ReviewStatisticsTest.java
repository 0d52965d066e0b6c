package io.finetune4j.runner.review;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReviewStatisticsTest {
    private static List<String> winners(int a, int b, int ties, int bothBad) {
        List<String> winners = new ArrayList<>();
        winners.addAll(Collections.nCopies(a, ReviewVote.A));
        winners.addAll(Collections.nCopies(b, ReviewVote.B));
        winners.addAll(Collections.nCopies(ties, ReviewVote.TIE));
        winners.addAll(Collections.nCopies(bothBad, ReviewVote.BOTH_BAD));
        return winners;
    }

    @Test
    void winRateIsTheShareOfDecidedVotes() {
        ReviewStatistics statistics = ReviewStatistics.of(winners(7, 3, 2, 1), 0);

        assertThat(statistics.winRate()).isEqualTo(0.7);
        assertThat(statistics.wins()).isEqualTo(7);
        assertThat(statistics.losses()).isEqualTo(3);
        assertThat(statistics.ties()).isEqualTo(2);
        assertThat(statistics.bothBad()).isEqualTo(1);
    }

    @Test
    void signTestIsTheExactTwoSidedBinomialTailWithTiesLeftOut() {
        // n = 10, k = 3: 2 * (C(10,0) + C(10,1) + C(10,2) + C(10,3)) / 2^10 = 2 * 176 / 1024.
        assertThat(ReviewStatistics.of(winners(7, 3, 5, 5), 0).signTestP()).isCloseTo(352.0 / 1024, within(1e-12));
        assertThat(ReviewStatistics.signTest(10, 0)).isCloseTo(2.0 / 1024, within(1e-15));
        assertThat(ReviewStatistics.signTest(5, 5)).isEqualTo(1.0);
    }

    @Test
    void bootstrapIntervalHoldsTheWinRateAndIsSeeded() {
        ReviewStatistics statistics = ReviewStatistics.of(winners(7, 3, 0, 0), 3);

        // The binomial's own 95% range for 7/10 is about [0.4, 1.0]; the percentile bootstrap lands near it.
        assertThat(statistics.low()).isBetween(0.3, 0.6);
        assertThat(statistics.high()).isBetween(0.9, 1.0);
        assertThat(statistics.low()).isLessThan(statistics.winRate());
        assertThat(statistics.high()).isGreaterThan(statistics.winRate());
        assertThat(ReviewStatistics.of(winners(7, 3, 0, 0), 3)).isEqualTo(statistics);
    }

    @Test
    void unanimousVotesGiveADegenerateInterval() {
        ReviewStatistics statistics = ReviewStatistics.of(winners(4, 0, 1, 0), 0);

        assertThat(statistics.low()).isEqualTo(1.0);
        assertThat(statistics.high()).isEqualTo(1.0);
    }

    @Test
    void noDecidedVoteHasNoWinRate() {
        ReviewStatistics statistics = ReviewStatistics.of(winners(0, 0, 2, 1), 0);

        assertThat(statistics.winRate()).isNaN();
        assertThat(statistics.signTestP()).isEqualTo(1.0);
    }
}
