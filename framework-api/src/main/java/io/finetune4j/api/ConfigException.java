package io.finetune4j.api;

import java.util.List;

/** Invalid user input: a pipeline file, a plugin config, a data file or a checkpoint. */
@Stable
public class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(String message) {
        super(message);
        this.problems = List.of(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of(message);
    }

    /** One exception for several problems; the message numbers them. */
    public ConfigException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem on its own, as {@code path: what is wrong}. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.size() == 1) {
            return problems.get(0);
        }
        StringBuilder text = new StringBuilder(problems.size() + " problems:");
        for (int i = 0; i < problems.size(); i++) {
            text.append("\n  ").append(i + 1).append(". ").append(problems.get(i));
        }
        return text.toString();
    }
}
