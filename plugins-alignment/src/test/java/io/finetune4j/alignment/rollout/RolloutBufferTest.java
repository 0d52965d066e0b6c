package io.finetune4j.alignment.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.data.Source;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutBufferTest {
    @Test
    void everySampleIsServedOncePerPassInMicroBatches() {
        List<RolloutSample> samples = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            samples.add(new RolloutSample(new PromptRow("p", new long[] {1}, "", new Source("f", i + 1)),
                    new long[] {2}, "x", true));
        }
        RolloutBuffer buffer = new RolloutBuffer(samples, 3, 42);

        List<RolloutSample> served = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        while (!buffer.usedUp()) {
            List<RolloutSample> batch = buffer.next(2);
            sizes.add(batch.size());
            served.addAll(batch);
        }

        assertThat(sizes).containsExactly(2, 2, 2, 2, 2, 2, 2, 1);
        for (int pass = 0; pass < 3; pass++) {
            assertThat(served.subList(5 * pass, 5 * pass + 5)).containsExactlyInAnyOrderElementsOf(samples);
        }
    }

    @Test
    void promptScheduleVisitsEveryPromptOncePerPass() {
        PromptSchedule schedule = new PromptSchedule(5, 3);

        List<Integer> first = schedule.next(3);
        List<Integer> rest = schedule.next(7);

        List<Integer> pass = new ArrayList<>(first);
        pass.addAll(rest.subList(0, 2));
        assertThat(pass).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        assertThat(rest.subList(2, 7)).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    }
}
