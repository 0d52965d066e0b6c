package io.finetune4j.runtime.data;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How a data file or directory is read: {@code columns} renames the file's columns to the names
 * {@link RowFormats} knows ({@code {prompt: question, completion: answer}}: canonical name to the file's
 * column), {@code split} picks a split of a Hub-style directory (default {@code train}), {@code maxRows}
 * keeps the first rows after the optional seeded shuffle (the Hub's {@code shuffle(seed).select(range(n))}),
 * {@code tokenizerDir} holds the tokenizer whose chat template renders conversational preference rows, as TRL
 * applies the tokenizer's own template.
 */
public record DataOptions(Map<String, String> columns, String split, Optional<Integer> maxRows,
                          Optional<Long> shuffleSeed, Optional<Path> tokenizerDir) {
    /** Everything as in the file: all rows, file order, split {@code train}. */
    public static final DataOptions DEFAULTS = new DataOptions(Map.of(), "train", Optional.empty(), Optional.empty());

    public DataOptions {
        columns = Map.copyOf(columns);
        split = split == null ? "train" : split;
    }

    /** Options without a tokenizer: conversational preference rows are then refused. */
    public DataOptions(Map<String, String> columns, String split, Optional<Integer> maxRows, Optional<Long> shuffleSeed) {
        this(columns, split, maxRows, shuffleSeed, Optional.empty());
    }

    /** These options with {@code dir}'s tokenizer (its own chat template) for conversational preference rows. */
    public DataOptions withTokenizer(Optional<Path> dir) {
        return new DataOptions(columns, split, maxRows, shuffleSeed, dir);
    }
}
