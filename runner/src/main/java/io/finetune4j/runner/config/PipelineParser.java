package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a pipeline file into a {@link PipelineSpec}, checking all of it before any weights are loaded:
 * keys, types, plugin ids and settings (each provider's {@code validate}), training settings, files and
 * directories, and the rows of every data file. Every problem is reported at once, numbered, each with
 * its YAML path. The format:
 *
 * <pre>{@code
 * name: quickstart            # run name (default: the file name without extension)
 * seed: 42                    # default 42; also the training seed unless training.seed is set
 * stages:
 *   - name: sft               # [a-z0-9_-]+, unique; the stage's output directory
 *     base: ../models/tiny    # a checkpoint directory (relative to this file), or "previous" (the
 *                             # model the previous stage saved), or {init: config.json, tokenizer: dir}
 *                             # (random weights of that architecture: pretraining)
 *     method: {id: lora, r: 8, lora_alpha: 16, target_modules: [q_proj, v_proj]}  # every key but id is
 *                             # the method's settings
 *     objective: {id: sft}    # likewise
 *     reward: {id: reward-model, path: stage:rm}  # optional: the reward function of PPO/GRPO objectives;
 *                             # stage:NAME is an earlier stage's output directory in this run
 *     data: {train: [data/train.jsonl]}         # one or more JSONL files, concatenated; or weighted:
 *                             # train: [{path: a.jsonl, weight: 3}, {path: b.jsonl, weight: 1}] mixes
 *                             # them in those proportions (see DataMixture)
 *     training: {epochs: 2, batch_size: 8, learning_rate: 2.0e-3, max_length: 128}
 *                             # the trainer's settings in snake_case, plus max_length (default 512)
 *     evaluators:             # optional
 *       - {id: perplexity, data: data/heldout.jsonl, when: [before, after]}  # when: default [after]
 *     output: {merge: true}   # save the merged model; default: when the method can merge
 * }</pre>
 *
 * A single value is accepted where a list is expected ({@code train: data/train.jsonl}), and a plugin
 * without settings may be written as its id alone ({@code objective: sft}).
 */
public final class PipelineParser {
    static final List<String> TOP_KEYS = List.of("name", "seed", "stages");
    static final List<String> STAGE_KEYS =
            List.of("name", "base", "tokenizer", "method", "objective", "reward", "data", "training", "evaluators",
                    "output");
    static final long DEFAULT_SEED = 42;
    private static final Pattern RUN_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final Map<String, MethodProvider<?>> methods;
    private final Map<String, ObjectiveProvider<?>> objectives;
    private final Map<String, EvaluatorProvider<?>> evaluators;
    private final Map<String, RewardFunctionProvider<?>> rewards;
    private final ConfigBinder binder;
    private final YAMLMapper yaml;

    /** A parser whose pipelines may name no reward function. */
    public PipelineParser(Map<String, MethodProvider<?>> methods, Map<String, ObjectiveProvider<?>> objectives,
                          Map<String, EvaluatorProvider<?>> evaluators, ConfigBinder binder) {
        this(methods, objectives, evaluators, Map.of(), binder);
    }

    @Inject
    public PipelineParser(Map<String, MethodProvider<?>> methods, Map<String, ObjectiveProvider<?>> objectives,
                          Map<String, EvaluatorProvider<?>> evaluators, Map<String, RewardFunctionProvider<?>> rewards,
                          ConfigBinder binder) {
        this.rewards = requireNonNull(rewards, "rewards is null");
        this.methods = requireNonNull(methods, "methods is null");
        this.objectives = requireNonNull(objectives, "objectives is null");
        this.evaluators = requireNonNull(evaluators, "evaluators is null");
        this.binder = requireNonNull(binder, "binder is null");
        this.yaml = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    }

    /** Reads and validates {@code file}; throws one {@link ConfigException} listing every problem. */
    public PipelineSpec parse(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new ConfigException("no such pipeline file: " + file + " (resolved to " + absolute + ")");
        }
        JsonNode root = read(absolute);
        ConfigProblems problems = ConfigProblems.at("");
        if (!(root instanceof ObjectNode top)) {
            throw new ConfigException(absolute + ": expected a mapping with keys " + TOP_KEYS
                    + ", found " + (root == null || root.isMissingNode() ? "an empty file" : TypeNames.describeValue(root)));
        }
        ConfigBinder.rejectUnknownKeys(top, TOP_KEYS, problems);
        String name = YamlFields.string(top, "name", problems).orElse(defaultName(absolute));
        problems.check(RUN_NAME.matcher(name).matches(), "name", "must match [A-Za-z0-9._-]+, was '%s'", name);
        long seed = YamlFields.integer(top, "seed", problems).orElse(DEFAULT_SEED);
        List<StageSpec> stages = stages(top.get("stages"), absolute.getParent(), seed, problems);
        problems.throwIfAny();
        return new PipelineSpec(name, seed, absolute, stages);
    }

    private JsonNode read(Path file) {
        try {
            return yaml.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ConfigException(syntaxError(file, e), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read pipeline file " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code file:line:column: problem (context)}, on one line where snakeyaml's message spans several. */
    static String syntaxError(Path file, JsonProcessingException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                Mark problem = marked.getProblemMark();
                StringBuilder text = new StringBuilder().append(file).append(':').append(problem.getLine() + 1)
                        .append(':').append(problem.getColumn() + 1).append(": ").append(marked.getProblem());
                if (marked.getContext() != null) {
                    text.append(" (").append(marked.getContext());
                    Mark context = marked.getContextMark();
                    if (context != null) {
                        text.append(" from line ").append(context.getLine() + 1)
                                .append(", column ").append(context.getColumn() + 1);
                    }
                    text.append(')');
                }
                return text.toString();
            }
        }
        JsonLocation where = e.getLocation();
        String at = where == null ? "" : ":" + where.getLineNr() + ":" + where.getColumnNr();
        return file + at + ": " + e.getOriginalMessage();
    }

    private List<StageSpec> stages(JsonNode node, Path dir, long seed, ConfigProblems problems) {
        if (node == null || node.isNull()) {
            problems.add("stages", "missing; a pipeline lists at least one stage");
            return List.of();
        }
        if (!node.isArray()) {
            problems.add("stages", "expected a list of stages, was %s", TypeNames.describeValue(node));
            return List.of();
        }
        if (node.isEmpty()) {
            problems.add("stages", "must list at least one stage");
            return List.of();
        }
        StageParser stageParser = new StageParser(dir, seed, methods, objectives, evaluators, rewards, binder);
        Map<String, Integer> names = new HashMap<>();
        List<StageSpec> stages = new ArrayList<>();
        List<Optional<Boolean>> merges = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            ConfigProblems at = problems.child("stages").child("[" + i + "]");
            Optional<StageSpec> stage = stageParser.parse(i, node.get(i), names, merges, at);
            stage.ifPresent(stages::add);
        }
        return stages;
    }

    private static String defaultName(Path file) {
        String fileName = file.getFileName().toString();
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }
}
