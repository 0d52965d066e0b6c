package io.finetune4j.runtime.data;

import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Source;
import java.util.Arrays;

/**
 * One tokenized training or evaluation sequence for a causal language model.
 *
 * @param ids token ids, {@code [length]}
 * @param targets {@code targets[i]} is true when token {@code i} contributes to the loss (it is predicted
 *     from the tokens before it); {@code targets[0]} is never used, since nothing predicts the first token
 * @param source where the example came from, for error messages
 */
@Stable
public record TokenizedExample(long[] ids, boolean[] targets, Source source) {
    public TokenizedExample {
        if (ids.length != targets.length) {
            throw new IllegalArgumentException(
                    "ids and targets differ in length: " + ids.length + " vs " + targets.length);
        }
        ids = ids.clone();
        targets = targets.clone();
    }

    /** Every token a target (plain language modelling). */
    public static TokenizedExample allTargets(long[] ids, Source source) {
        boolean[] targets = new boolean[ids.length];
        Arrays.fill(targets, true);
        return new TokenizedExample(ids, targets, source);
    }

    public int length() {
        return ids.length;
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    @Override
    public boolean[] targets() {
        return targets.clone();
    }

    /** Number of tokens that count in the loss: targets at positions 1 and later. */
    public int targetCount() {
        int count = 0;
        for (int i = 1; i < targets.length; i++) {
            if (targets[i]) {
                count++;
            }
        }
        return count;
    }

    /** The first {@code maxLength} tokens (this example itself when it is no longer). */
    public TokenizedExample truncate(int maxLength) {
        if (ids.length <= maxLength) {
            return this;
        }
        return new TokenizedExample(Arrays.copyOf(ids, maxLength), Arrays.copyOf(targets, maxLength), source);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenizedExample that && Arrays.equals(ids, that.ids)
                && Arrays.equals(targets, that.targets) && source.equals(that.source);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(ids) + Arrays.hashCode(targets)) + source.hashCode();
    }

    @Override
    public String toString() {
        return "TokenizedExample[" + source + ", " + ids.length + " tokens, " + targetCount() + " targets]";
    }
}
