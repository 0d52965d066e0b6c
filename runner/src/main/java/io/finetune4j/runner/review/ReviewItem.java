package io.finetune4j.runner.review;

import static java.util.Objects.requireNonNull;

/**
 * One prompt under review with both stages' answers, as {@code answers.jsonl} stores it. {@code aShownFirst}
 * is drawn once per item from the review's seed and kept, so a restarted review shows the same order.
 */
public record ReviewItem(int id, String stageA, String stageB, String prompt, String answerA, String answerB,
                         boolean aShownFirst, long seed) {
    public ReviewItem {
        requireNonNull(stageA, "stageA is null");
        requireNonNull(stageB, "stageB is null");
        requireNonNull(prompt, "prompt is null");
        requireNonNull(answerA, "answerA is null");
        requireNonNull(answerB, "answerB is null");
    }

    /** The answer on the left of the page (button A). */
    public String left() {
        return aShownFirst ? answerA : answerB;
    }

    public String right() {
        return aShownFirst ? answerB : answerA;
    }
}
