package io.finetune4j.api.data;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import java.util.List;

/** The rows of one data file, in file order. */
@Stable
public record Dataset(String name, List<Example> examples) {
    public Dataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }

    /**
     * The examples as {@code type}, or a {@link ConfigException} naming the first row of another kind,
     * with its file and line.
     */
    public <T extends Example> List<T> require(Class<T> type, String neededBy) {
        for (Example example : examples) {
            if (!type.isInstance(example)) {
                throw new ConfigException(String.format(
                        "%s: %s needs %s rows, found a %s row", example.source(), neededBy,
                        type.getSimpleName(), example.getClass().getSimpleName()));
            }
        }
        return examples.stream().map(type::cast).toList();
    }
}
