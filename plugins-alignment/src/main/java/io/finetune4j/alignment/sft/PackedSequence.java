package io.finetune4j.alignment.sft;

import io.finetune4j.runtime.data.TokenizedExample;
import java.util.List;

/**
 * One training row made of several tokenized examples laid end to end (TRL's packed row with its
 * {@code seq_lengths}); each part is a segment that attends only to itself.
 */
record PackedSequence(List<TokenizedExample> parts) {
    PackedSequence {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a packed sequence needs a part");
        }
    }

    int length() {
        return parts.stream().mapToInt(TokenizedExample::length).sum();
    }
}
