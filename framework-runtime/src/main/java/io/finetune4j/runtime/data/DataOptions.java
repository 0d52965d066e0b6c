package io.finetune4j.runtime.data;

import java.util.Map;
import java.util.Optional;

/**
 * How a data file or directory is read: {@code columns} renames the file's columns to the names
 * {@link RowFormats} knows ({@code {prompt: question, completion: answer}}: canonical name to the file's
 * column), {@code split} picks a split of a Hub-style directory (default {@code train}), {@code maxRows}
 * keeps the first rows after the optional seeded shuffle (the Hub's {@code shuffle(seed).select(range(n))}).
 */
public record DataOptions(Map<String, String> columns, String split, Optional<Integer> maxRows,
                          Optional<Long> shuffleSeed) {
    /** Everything as in the file: all rows, file order, split {@code train}. */
    public static final DataOptions DEFAULTS = new DataOptions(Map.of(), "train", Optional.empty(), Optional.empty());

    public DataOptions {
        columns = Map.copyOf(columns);
        split = split == null ? "train" : split;
    }
}
