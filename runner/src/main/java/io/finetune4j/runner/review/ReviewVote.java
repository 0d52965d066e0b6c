package io.finetune4j.runner.review;

import static java.util.Objects.requireNonNull;

/**
 * One vote as {@code votes.jsonl} stores it: the item, the button pressed ({@code choice}: the answer shown
 * left is {@code A}), and what it means for the stages ({@code winner}: {@code a}, {@code b}, {@code tie} or
 * {@code both_bad}).
 */
public record ReviewVote(int item, String choice, String winner, String comment, String time) {
    public static final String A = "a";
    public static final String B = "b";
    public static final String TIE = "tie";
    public static final String BOTH_BAD = "both_bad";

    public ReviewVote {
        requireNonNull(choice, "choice is null");
        requireNonNull(winner, "winner is null");
        comment = comment == null ? "" : comment;
    }

    /** The stage a button press favours, given which stage's answer was shown as A. */
    public static String winner(String choice, boolean aShownFirst) {
        return switch (choice) {
            case "A" -> aShownFirst ? A : B;
            case "B" -> aShownFirst ? B : A;
            case "tie" -> TIE;
            case "both_bad" -> BOTH_BAD;
            default -> throw new IllegalArgumentException(
                    "choice: must be one of [A, B, tie, both_bad], was '" + choice + "'");
        };
    }
}
