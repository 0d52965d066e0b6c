package io.finetune4j.demo.preference;

/**
 * One row of the demo preference task, written as {@code {"prompt": ..., "chosen": ..., "rejected": ...}}.
 *
 * @param prompt the demo SFT prompt (story and {@code Q: ...?\nA:})
 * @param chosen the correct answer sentence, as in the SFT data
 * @param rejected a fluent but wrong answer: the answer of another question of the same kind
 */
public record PreferenceExample(String prompt, String chosen, String rejected) {}
