package io.finetune4j.eval.judge;

/** A judge's decision on one ordering of two answers: the first shown (A), the second (B), or neither. */
enum Verdict {
    A,
    B,
    TIE
}
