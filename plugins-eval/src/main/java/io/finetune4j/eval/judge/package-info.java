/**
 * The {@code llm-judge} evaluator: a local judge model compares the evaluated model's answers with a
 * baseline's in both orders, its verdict read from the log-likelihood of the verdict tokens.
 */
package io.finetune4j.eval.judge;
