package io.finetune4j.examples.tokencount;

/**
 * Settings of the {@code token-count} evaluator; pipeline files write the keys in snake_case.
 *
 * @param part what to count: {@code all} (the whole row: text, or prompt plus completion) or
 *     {@code completion} (only the completion of prompt/completion rows; the whole text of text rows)
 * @param addSpecialTokens count the tokens the tokenizer adds itself (BOS) too
 */
public record TokenCountConfig(String part, boolean addSpecialTokens) {}
