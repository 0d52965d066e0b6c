package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchPlanTest {
    @Test
    void keepsTheLastPartialBatchAndShufflesEachEpochWithSeedPlusEpoch() {
        BatchPlan plan = new BatchPlan(10, 4, 2, 100);

        List<List<Integer>> first = plan.nextStep();
        assertThat(plan.epochProgress()).isCloseTo(0.5, within(1e-12));
        List<List<Integer>> second = plan.nextStep();
        assertThat(plan.epochProgress()).isCloseTo(1.0, within(1e-12));
        List<List<Integer>> third = plan.nextStep();
        assertThat(plan.epochProgress()).isCloseTo(1.5, within(1e-12));

        assertThat(first).extracting(List::size).containsExactly(4, 4);
        assertThat(second).extracting(List::size).containsExactly(2);
        List<Integer> epoch0 = new ArrayList<>();
        first.forEach(epoch0::addAll);
        second.forEach(epoch0::addAll);
        assertThat(epoch0).isEqualTo(shuffled(10, 100));
        assertThat(third.get(0)).isEqualTo(shuffled(10, 101).subList(0, 4));
    }

    @Test
    void splitsAShortStepIntoFullMicroBatchesFirst() {
        BatchPlan plan = new BatchPlan(7, 3, 2, 0);

        plan.nextStep();
        List<List<Integer>> last = plan.nextStep();

        assertThat(last).extracting(List::size).containsExactly(1);
        assertThat(new BatchPlan(5, 3, 2, 0).nextStep()).extracting(List::size).containsExactly(3, 2);
    }

    private static List<Integer> shuffled(int n, long seed) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        Collections.shuffle(order, new Random(seed));
        return order;
    }
}
