package io.finetune4j.alignment.rewards;

/**
 * Settings of the {@code exact-answer} reward function.
 *
 * @param mode {@code auto} (compare numbers when the reference holds one, else first lines),
 *     {@code number} or {@code line}; see {@link AnswerExtractor}
 */
public record ExactAnswerConfig(String mode) {}
