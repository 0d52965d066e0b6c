package io.finetune4j.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * One fact of single-digit arithmetic, {@code 3 plus 4 is 7.}: pretraining text states all of them, and
 * the SFT task asks about them in a question format the corpus never uses.
 */
record ArithmeticFact(int left, boolean plus, int right) {

    /** Every {@code a plus b} and every non-negative {@code a minus b} with single digits, in a fixed order. */
    static List<ArithmeticFact> all() {
        List<ArithmeticFact> facts = new ArrayList<>();
        for (int a = 0; a <= 9; a++) {
            for (int b = 0; b <= 9; b++) {
                facts.add(new ArithmeticFact(a, true, b));
                if (a >= b) {
                    facts.add(new ArithmeticFact(a, false, b));
                }
            }
        }
        return facts;
    }

    int result() {
        return plus ? left + right : left - right;
    }

    /** {@code 3 plus 4} */
    String expression() {
        return left + (plus ? " plus " : " minus ") + right;
    }

    /** {@code 3 plus 4 is 7.} */
    String sentence() {
        return expression() + " is " + result() + ".";
    }
}
