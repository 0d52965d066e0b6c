package io.finetune4j.demo;

/**
 * One row of the demo SFT task, written as {@code {"prompt": ..., "completion": ...}}.
 *
 * @param prompt a story (or nothing, for arithmetic) and {@code \nQ: <question>?\nA:}
 * @param completion the answer sentence with a leading space, e.g. {@code " Mila's cat is red."}
 */
public record SftExample(String prompt, String completion) {}
