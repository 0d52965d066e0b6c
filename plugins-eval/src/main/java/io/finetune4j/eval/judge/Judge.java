package io.finetune4j.eval.judge;

/** Decides which of two answers to a question is better, seeing them in the order given. */
interface Judge {
    Verdict compare(String question, String answerA, String answerB);
}
