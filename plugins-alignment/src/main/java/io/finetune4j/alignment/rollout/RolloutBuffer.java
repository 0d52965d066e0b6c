package io.finetune4j.alignment.rollout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One rollout's samples and the order the objective serves them in: {@code passes} passes (PPO's
 * {@code num_ppo_epochs}, GRPO's {@code num_iterations}), each a fresh seeded shuffle, consumed a micro-batch
 * at a time by consecutive {@code compute} calls. When every pass is served the buffer is used up and the
 * objective generates the next rollout with the policy as it is then.
 */
public final class RolloutBuffer {
    private final List<RolloutSample> samples;
    private final List<Integer> order;
    private int cursor;

    public RolloutBuffer(List<RolloutSample> samples, int passes, long seed) {
        this.samples = List.copyOf(samples);
        List<Integer> order = new ArrayList<>(samples.size() * passes);
        Random random = new Random(seed);
        for (int pass = 0; pass < passes; pass++) {
            List<Integer> shuffled = new ArrayList<>(samples.size());
            for (int i = 0; i < samples.size(); i++) {
                shuffled.add(i);
            }
            Collections.shuffle(shuffled, random);
            order.addAll(shuffled);
        }
        this.order = List.copyOf(order);
    }

    public boolean usedUp() {
        return cursor >= order.size();
    }

    /** The next {@code count} samples of the order, fewer at its end. */
    public List<RolloutSample> next(int count) {
        int end = Math.min(order.size(), cursor + count);
        List<RolloutSample> batch = new ArrayList<>(end - cursor);
        for (int i = cursor; i < end; i++) {
            batch.add(samples.get(order.get(i)));
        }
        cursor = end;
        return batch;
    }

    public List<RolloutSample> samples() {
        return samples;
    }
}
