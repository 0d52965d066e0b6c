package io.finetune4j.api.data;

import io.finetune4j.api.Stable;

/** Where an example came from, for error messages: {@code data/train.jsonl:17}. */
@Stable
public record Source(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
