package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.io.ModelConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Parses a stage's {@code base}: a checkpoint directory, {@code previous}, or {@code {init, tokenizer}}. */
final class BaseParser {
    static final String PREVIOUS = "previous";
    private static final String EXPECTED =
            "a checkpoint directory, 'previous', 'stage:NAME' or {init: config.json, tokenizer: directory}";

    private final Path dir;

    BaseParser(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
    }

    /**
     * @param merges {@code output.merge} of this and earlier stages, by index
     * @param names earlier stages' names with their index
     */
    Optional<BaseSpec> parse(int index, JsonNode node, List<Optional<Boolean>> merges, Map<String, Integer> names,
                             ConfigProblems problems) {
        if (node == null || node.isNull()) {
            problems.add("", "missing; expected %s", EXPECTED);
            return Optional.empty();
        }
        if (node.isTextual() && node.asText().equals(PREVIOUS)) {
            return previous(index, merges, problems);
        }
        if (node.isTextual() && node.asText().startsWith(PipelinePaths.STAGE_PREFIX)) {
            return stage(index, node.asText().substring(PipelinePaths.STAGE_PREFIX.length()), merges, names, problems);
        }
        if (node.isTextual()) {
            return checkpoint(node.asText(), problems);
        }
        if (node instanceof ObjectNode init) {
            return randomInit(init, problems);
        }
        problems.add("", "expected %s, was %s", EXPECTED, TypeNames.describeValue(node));
        return Optional.empty();
    }

    private static Optional<BaseSpec> previous(int index, List<Optional<Boolean>> merges, ConfigProblems problems) {
        if (index == 0) {
            problems.add("", "'previous' needs an earlier stage; the first stage starts from a checkpoint or {init: ...}");
            return Optional.empty();
        }
        if (merges.get(index - 1).equals(Optional.of(false))) {
            problems.add("", "'previous' needs the model of stages[%d], but stages[%d].output.merge is false",
                    index - 1, index - 1);
            return Optional.empty();
        }
        return Optional.of(new BaseSpec.Previous());
    }

    private static Optional<BaseSpec> stage(int index, String name, List<Optional<Boolean>> merges,
                                            Map<String, Integer> names, ConfigProblems problems) {
        Integer earlier = names.get(name);
        if (earlier == null || earlier >= index) {
            problems.add("", "'stage:%s' names no earlier stage; earlier stages: %s", name,
                    names.entrySet().stream().filter(e -> e.getValue() < index).map(Map.Entry::getKey).sorted().toList());
            return Optional.empty();
        }
        if (merges.get(earlier).equals(Optional.of(false))) {
            problems.add("", "'stage:%s' needs the model of stages[%d], but stages[%d].output.merge is false",
                    name, earlier, earlier);
            return Optional.empty();
        }
        return Optional.of(new BaseSpec.Stage(name));
    }

    private Optional<BaseSpec> checkpoint(String raw, ConfigProblems problems) {
        Path resolved = dir.resolve(raw).normalize();
        if (!Files.isDirectory(resolved)) {
            problems.add("", "no such directory: %s (resolved to %s)", raw, resolved);
            return Optional.empty();
        }
        if (!Files.isRegularFile(resolved.resolve("config.json"))) {
            problems.add("", "%s is not a model checkpoint: it has no config.json", resolved);
            return Optional.empty();
        }
        // config.json is small: reading it now rejects an unsupported architecture before any weights load.
        if (!configReads(() -> CheckpointReader.readConfig(resolved), "", problems)) {
            return Optional.empty();
        }
        return Optional.of(new BaseSpec.Checkpoint(resolved));
    }

    private Optional<BaseSpec> randomInit(ObjectNode init, ConfigProblems problems) {
        int before = problems.messages().size();
        ConfigBinder.rejectUnknownKeys(init, List.of("init", "tokenizer"), problems);
        Optional<Path> config = required(init, "init", "a model config.json", problems).flatMap(raw -> {
            Path resolved = dir.resolve(raw).normalize();
            if (Files.isDirectory(resolved)) {
                resolved = resolved.resolve("config.json");
            }
            if (!Files.isRegularFile(resolved)) {
                problems.add("init", "no such file: %s (resolved to %s)", raw, resolved);
                return Optional.empty();
            }
            Path file = resolved;
            if (!configReads(() -> readConfigFile(file), "init", problems)) {
                return Optional.empty();
            }
            return Optional.of(resolved);
        });
        Optional<Path> tokenizer = required(init, "tokenizer", "a directory with tokenizer.json", problems)
                .flatMap(raw -> {
                    Path resolved = dir.resolve(raw).normalize();
                    if (!Files.isDirectory(resolved)) {
                        problems.add("tokenizer", "no such directory: %s (resolved to %s)", raw, resolved);
                        return Optional.empty();
                    }
                    if (!Files.isRegularFile(resolved.resolve("tokenizer.json"))) {
                        problems.add("tokenizer", "%s has no tokenizer.json", resolved);
                        return Optional.empty();
                    }
                    return Optional.of(resolved);
                });
        if (problems.messages().size() > before) {
            return Optional.empty();
        }
        return Optional.of(new BaseSpec.RandomInit(config.orElseThrow(), tokenizer.orElseThrow()));
    }

    /** Parses a config.json of any file name. */
    static ModelConfig readConfigFile(Path file) {
        try {
            return ModelConfigJson.parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean configReads(Supplier<ModelConfig> read, String key, ConfigProblems problems) {
        try {
            read.get();
            return true;
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                problems.add(key, problem);
            }
            return false;
        }
    }

    private static Optional<String> required(ObjectNode node, String key, String what, ConfigProblems problems) {
        if (!node.has(key) || node.get(key).isNull()) {
            problems.add(key, "missing; expected %s", what);
            return Optional.empty();
        }
        return YamlFields.string(node, key, problems);
    }
}
