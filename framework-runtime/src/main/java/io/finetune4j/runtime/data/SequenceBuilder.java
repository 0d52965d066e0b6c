package io.finetune4j.runtime.data;

import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Source;
import java.util.Arrays;

/**
 * Builds a {@link TokenizedExample} from pieces tokenized one by one, each marked as target or context, so
 * an objective knows exactly which tokens came from a completion or an assistant turn without searching for
 * them in a joint tokenization.
 */
@Stable
public final class SequenceBuilder {
    private long[] ids = new long[64];
    private boolean[] targets = new boolean[64];
    private int length;

    /** Appends {@code pieceIds}; they count in the loss when {@code target}. */
    public SequenceBuilder add(long[] pieceIds, boolean target) {
        ensureCapacity(length + pieceIds.length);
        System.arraycopy(pieceIds, 0, ids, length, pieceIds.length);
        Arrays.fill(targets, length, length + pieceIds.length, target);
        length += pieceIds.length;
        return this;
    }

    /** Appends one token. */
    public SequenceBuilder add(long id, boolean target) {
        return add(new long[] {id}, target);
    }

    public int length() {
        return length;
    }

    /** The last token added; the sequence must not be empty. */
    public long last() {
        if (length == 0) {
            throw new IllegalStateException("empty sequence");
        }
        return ids[length - 1];
    }

    public TokenizedExample build(Source source) {
        return new TokenizedExample(Arrays.copyOf(ids, length), Arrays.copyOf(targets, length), source);
    }

    private void ensureCapacity(int needed) {
        if (needed > ids.length) {
            int capacity = Math.max(needed, ids.length * 2);
            ids = Arrays.copyOf(ids, capacity);
            targets = Arrays.copyOf(targets, capacity);
        }
    }
}
