package io.finetune4j.alignment.rollout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The order rollouts draw prompts in: every prompt once per pass, each pass shuffled with
 * {@code new Random(seed + pass)}, passes following each other without end. The trainer's own example
 * order is not used (its indices only tell the micro-batch size), so one trainer epoch over
 * {@code exampleCount} generates from every prompt once.
 */
public final class PromptSchedule {
    private final int promptCount;
    private final long seed;
    private List<Integer> order = List.of();
    private int pass = -1;
    private int cursor;

    public PromptSchedule(int promptCount, long seed) {
        this.promptCount = promptCount;
        this.seed = seed;
    }

    /** The next {@code count} prompt indices, crossing into the next pass when this one ends. */
    public List<Integer> next(int count) {
        List<Integer> picked = new ArrayList<>(count);
        while (picked.size() < count) {
            if (cursor >= order.size()) {
                pass++;
                List<Integer> shuffled = new ArrayList<>(promptCount);
                for (int i = 0; i < promptCount; i++) {
                    shuffled.add(i);
                }
                Collections.shuffle(shuffled, new Random(seed + pass));
                order = shuffled;
                cursor = 0;
            }
            picked.add(order.get(cursor++));
        }
        return picked;
    }
}
