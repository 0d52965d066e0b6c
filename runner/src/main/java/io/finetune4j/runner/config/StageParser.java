package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.runtime.data.DataOptions;
import io.finetune4j.runtime.data.DatasetFiles;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import io.finetune4j.runtime.train.DivergenceConfig;
import io.finetune4j.runtime.train.EwcConfig;
import io.finetune4j.runtime.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Parses and checks one stage of a pipeline file; see {@link PipelineParser} for the format. */
final class StageParser {
    static final int DEFAULT_MAX_LENGTH = 512;
    private static final Pattern STAGE_NAME = Pattern.compile("[a-z0-9_-]+");
    private static final List<String> EVALUATOR_KEYS = List.of("data", "when");

    private final Path dir;
    private final long seed;
    private final Map<String, MethodProvider<?>> methods;
    private final Map<String, ObjectiveProvider<?>> objectives;
    private final Map<String, EvaluatorProvider<?>> evaluators;
    private final Map<String, RewardFunctionProvider<?>> rewards;
    private final ConfigBinder binder;
    private final BaseParser bases;
    /** Per parsed stage, the positions its model can read (max_position_embeddings of its root config.json). */
    private final Map<Integer, Integer> positions = new HashMap<>();
    /** Each parsed stage's tokenizer directory, by index: what a later {@code previous} or {@code stage:NAME} inherits. */
    private final Map<Integer, Path> tokenizerDirs = new HashMap<>();

    StageParser(Path dir, long seed, Map<String, MethodProvider<?>> methods,
                Map<String, ObjectiveProvider<?>> objectives, Map<String, EvaluatorProvider<?>> evaluators,
                Map<String, RewardFunctionProvider<?>> rewards, ConfigBinder binder) {
        this.dir = requireNonNull(dir, "dir is null");
        this.seed = seed;
        this.methods = requireNonNull(methods, "methods is null");
        this.objectives = requireNonNull(objectives, "objectives is null");
        this.evaluators = requireNonNull(evaluators, "evaluators is null");
        this.rewards = requireNonNull(rewards, "rewards is null");
        this.binder = requireNonNull(binder, "binder is null");
        this.bases = new BaseParser(dir);
    }

    /**
     * @param names stage names seen so far, with their index; this stage's name is added
     * @param merges {@code output.merge} of earlier stages, by index; this stage's is appended
     */
    Optional<StageSpec> parse(int index, JsonNode node, Map<String, Integer> names,
                              List<Optional<Boolean>> merges, ConfigProblems problems) {
        int before = problems.messages().size();
        if (!(node instanceof ObjectNode stage)) {
            problems.add("", "expected a mapping with keys %s, was %s",
                    new TreeSet<>(PipelineParser.STAGE_KEYS), TypeNames.describeValue(node));
            merges.add(Optional.empty());
            return Optional.empty();
        }
        ConfigBinder.rejectUnknownKeys(stage, PipelineParser.STAGE_KEYS, problems);
        String name = name(index, stage, names, problems);
        Optional<Boolean> merge = output(stage, problems);
        merges.add(merge);
        Optional<Double> parity = parity(stage, merge, problems);
        Optional<BaseSpec> base = bases.parse(index, stage.get("base"), merges, names, problems.child("base"));
        var method = plugin("method", stage.get("method"), methods, List.of(), problems.child("method"));
        var objective = plugin("objective", stage.get("objective"), objectives, List.of(), problems.child("objective"));
        Optional<PluginChoice<RewardFunctionProvider<?>>> reward = Optional.empty();
        if (stage.has("reward") && !stage.get("reward").isNull()) {
            reward = plugin("reward function", stage.get("reward"), rewards, List.of(), problems.child("reward"));
        }
        Optional<Path> tokenizer = tokenizer(stage, problems);
        Optional<Path> tokenizerDir = tokenizer.or(() -> base.flatMap(spec -> baseTokenizer(spec, index, names)));
        tokenizerDir.ifPresent(found -> tokenizerDirs.put(index, found));
        List<Path> trainFiles = new ArrayList<>();
        List<Dataset> trainData = data(stage, trainFiles, tokenizerDir, problems);
        Optional<ObjectNode> trainingNode = YamlFields.mapping(stage, "training", problems);
        OptionalInt modelPositions = base.map(b -> positions(index, b, names)).orElse(OptionalInt.empty());
        modelPositions.ifPresent(limit -> positions.put(index, limit));
        int maxLength = maxLength(trainingNode, modelPositions, problems.child("training"));
        Optional<TrainingConfig> training = training(trainingNode, trainData, problems.child("training"));
        List<EvaluatorSpec> evaluatorSpecs = evaluators(stage, problems);
        if (problems.messages().size() > before) {
            return Optional.empty();
        }
        return Optional.of(new StageSpec(index, name, base.orElseThrow(), method.orElseThrow(),
                objective.orElseThrow(), trainFiles, trainData, training.orElseThrow(), maxLength,
                evaluatorSpecs, merge, reward, dir, tokenizer, parity));
    }

    /** Where the base's tokenizer files are: its checkpoint, its init tokenizer, or what the stage it continues had. */
    private Optional<Path> baseTokenizer(BaseSpec base, int index, Map<String, Integer> names) {
        if (base instanceof BaseSpec.Checkpoint checkpoint) {
            return Optional.of(checkpoint.dir()).filter(IdsOnlyTokenizer::hasTokenizerFiles);
        }
        if (base instanceof BaseSpec.RandomInit init) {
            return Optional.of(init.tokenizer());
        }
        Integer earlier = base instanceof BaseSpec.Stage named ? names.get(named.name()) : Integer.valueOf(index - 1);
        return Optional.ofNullable(earlier == null ? null : tokenizerDirs.get(earlier));
    }

    /** {@code tokenizer: DIR}: a directory with tokenizer.json (or vocab.json + merges.txt), relative to the pipeline file. */
    private Optional<Path> tokenizer(ObjectNode stage, ConfigProblems problems) {
        Optional<String> raw = YamlFields.string(stage, "tokenizer", problems);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Path resolved = dir.resolve(raw.get()).normalize();
        if (!Files.isDirectory(resolved)) {
            problems.add("tokenizer", "no such directory: %s (resolved to %s)", raw.get(), resolved);
            return Optional.empty();
        }
        if (!IdsOnlyTokenizer.hasTokenizerFiles(resolved)) {
            problems.add("tokenizer", "%s has no tokenizer.json (nor vocab.json + merges.txt)", resolved);
            return Optional.empty();
        }
        return Optional.of(resolved);
    }

    /**
     * {@code epochs × steps per epoch} must fit the step counter (a 32-bit int, as in transformers' Trainer state),
     * checked on the rows read so far, before any weights load; an objective that makes fewer examples of the rows
     * (packing) only lowers the count.
     */
    private static void checkStepCount(TrainingConfig config, List<Dataset> data, ConfigProblems problems) {
        long rows = data.stream().mapToLong(Dataset::size).sum();
        if (config.maxSteps() > 0 || rows == 0 || config.epochs() < 1 || config.examplesPerStep() < 1) {
            return;
        }
        long perEpoch = (rows + config.examplesPerStep() - 1) / config.examplesPerStep();
        if (config.epochs() > Integer.MAX_VALUE / perEpoch) {
            problems.add("epochs", "%d epochs × %d optimizer steps per epoch (%d rows, %d per step) is more than "
                    + "%d steps; lower epochs or set max_steps", config.epochs(), perEpoch, rows,
                    config.examplesPerStep(), Integer.MAX_VALUE);
        }
    }

    private static String name(int index, ObjectNode stage, Map<String, Integer> names, ConfigProblems problems) {
        Optional<String> name = YamlFields.string(stage, "name", problems);
        if (name.isEmpty()) {
            if (!stage.has("name")) {
                problems.add("name", "missing; a stage needs a name matching [a-z0-9_-]+");
            }
            return "";
        }
        String value = name.get();
        if (!STAGE_NAME.matcher(value).matches()) {
            problems.add("name", "must match [a-z0-9_-]+, was '%s'", value);
        } else if (names.containsKey(value)) {
            problems.add("name", "duplicate stage name '%s' (also stages[%d].name)", value, names.get(value));
        } else {
            names.put(value, index);
        }
        return value;
    }

    private static Optional<Boolean> output(ObjectNode stage, ConfigProblems problems) {
        Optional<ObjectNode> output = YamlFields.mapping(stage, "output", problems);
        if (output.isEmpty()) {
            return Optional.empty();
        }
        ConfigProblems at = problems.child("output");
        ConfigBinder.rejectUnknownKeys(output.get(), List.of("merge", "parity", "parity_tolerance"), at);
        return YamlFields.bool(output.get(), "merge", at);
    }

    /**
     * {@code output.parity: true} (and {@code parity_tolerance}, default {@link StageSpec#DEFAULT_PARITY_TOLERANCE}):
     * the tolerance of the parity check after the merge, which needs the merge not turned off.
     */
    private static Optional<Double> parity(ObjectNode stage, Optional<Boolean> merge, ConfigProblems problems) {
        if (!(stage.get("output") instanceof ObjectNode output)) {
            return Optional.empty();
        }
        ConfigProblems at = problems.child("output");
        boolean parity = YamlFields.bool(output, "parity", at).orElse(false);
        JsonNode tolerance = output.get("parity_tolerance");
        double value = StageSpec.DEFAULT_PARITY_TOLERANCE;
        if (tolerance != null && !tolerance.isNull()) {
            if (!tolerance.isNumber() || !(tolerance.asDouble() > 0) || Double.isInfinite(tolerance.asDouble())) {
                at.add("parity_tolerance", "must be a number > 0 (a max |Δ logit|), was %s",
                        TypeNames.describeValue(tolerance));
                return Optional.empty();
            }
            if (!parity) {
                at.add("parity_tolerance", "is only used with parity: true");
                return Optional.empty();
            }
            value = tolerance.asDouble();
        }
        if (parity && merge.isPresent() && !merge.get()) {
            at.add("parity", "compares the adapted model with the merged checkpoint, so it needs merge: true "
                    + "(was false)");
            return Optional.empty();
        }
        return parity ? Optional.of(value) : Optional.empty();
    }

    /** A provider picked by {@code id} with the section's other keys bound onto its defaults and validated. */
    private <P extends PluginProvider<?>> Optional<PluginChoice<P>> plugin(
            String kind, JsonNode node, Map<String, P> registry, Collection<String> handledElsewhere,
            ConfigProblems problems) {
        Set<String> known = new TreeSet<>(registry.keySet());
        if (node == null || node.isNull()) {
            problems.add("", "missing; expected {id: ...} with one of the known %ss: %s", kind, known);
            return Optional.empty();
        }
        ObjectNode section;
        if (node.isTextual()) {
            section = JsonNodeFactory.instance.objectNode().put("id", node.asText());
        } else if (node instanceof ObjectNode object) {
            section = object.deepCopy();
        } else {
            problems.add("", "expected {id: ...} with settings, was %s", TypeNames.describeValue(node));
            return Optional.empty();
        }
        JsonNode idNode = section.remove("id");
        if (idNode == null || idNode.isNull()) {
            problems.add("id", "missing; known: %s", known);
            return Optional.empty();
        }
        if (!idNode.isTextual()) {
            problems.add("id", "expected a string, was %s", TypeNames.describeValue(idNode));
            return Optional.empty();
        }
        String id = idNode.asText();
        P provider = registry.get(id);
        if (provider == null) {
            problems.add("id", "unknown %s '%s'; known: %s%s", kind, id, known, Suggestions.didYouMean(id, known));
            return Optional.empty();
        }
        PluginProvider<?> plain = provider;
        return bindAndValidate(plain, section, handledElsewhere, problems)
                .map(config -> new PluginChoice<>(id, provider, config));
    }

    private <C extends Record> Optional<Record> bindAndValidate(PluginProvider<C> provider, ObjectNode values,
                                                                Collection<String> handledElsewhere,
                                                                ConfigProblems problems) {
        int before = problems.messages().size();
        Optional<C> config = binder.bind(provider.defaults(), provider.configType(), values, handledElsewhere, problems);
        config.ifPresent(bound -> provider.validate(bound, problems));
        return problems.messages().size() > before ? Optional.empty() : config.map(bound -> bound);
    }

    private List<Dataset> data(ObjectNode stage, List<Path> files, Optional<Path> tokenizerDir, ConfigProblems problems) {
        if (!stage.has("data") || stage.get("data").isNull()) {
            problems.add("data", "missing; expected {train: [file.jsonl, ...]}");
            return List.of();
        }
        Optional<ObjectNode> data = YamlFields.mapping(stage, "data", problems);
        if (data.isEmpty()) {
            return List.of();
        }
        ConfigProblems at = problems.child("data");
        ConfigBinder.rejectUnknownKeys(data.get(),
                List.of("train", "columns", "split", "max_rows", "shuffle_seed", "replay"), at);
        DataOptions options = dataOptions(data.get(), at).withTokenizer(tokenizerDir);
        JsonNode trainNode = data.get().get("train");
        if (trainNode == null || trainNode.isNull()) {
            at.add("train", "missing; expected one or more JSONL files");
            return List.of();
        }
        List<JsonNode> entries = new ArrayList<>();
        if (trainNode.isArray()) {
            trainNode.forEach(entries::add);
        } else {
            entries.add(trainNode);
        }
        if (entries.isEmpty()) {
            at.add("train", "must list at least one JSONL file");
        }
        boolean weighted = entries.stream().anyMatch(entry -> entry instanceof ObjectNode object && object.has("weight"));
        List<Dataset> datasets = new ArrayList<>();
        List<DataMixture.Part> parts = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String key = "train[" + i + "]";
            JsonNode entry = entries.get(i);
            String raw;
            double weight = 1.0;
            if (entry.isTextual()) {
                raw = entry.asText();
            } else if (entry instanceof ObjectNode object) {
                ConfigProblems entryProblems = at.child(key);
                ConfigBinder.rejectUnknownKeys(object, List.of("path", "weight"), entryProblems);
                Optional<String> path = YamlFields.string(object, "path", entryProblems);
                if (path.isEmpty()) {
                    if (!object.has("path")) {
                        entryProblems.add("path", "missing; expected the JSONL file of this part of the mixture");
                    }
                    continue;
                }
                raw = path.get();
                JsonNode weightNode = object.get("weight");
                if (weightNode != null) {
                    if (!weightNode.isNumber() || !(weightNode.asDouble() > 0) || Double.isInfinite(weightNode.asDouble())) {
                        entryProblems.add("weight", "must be a number > 0, was %s", TypeNames.describeValue(weightNode));
                        continue;
                    }
                    weight = weightNode.asDouble();
                }
            } else {
                at.add(key, "expected a JSONL file or {path: file.jsonl, weight: w}, was %s",
                        TypeNames.describeValue(entry));
                continue;
            }
            double partWeight = weight;
            Optional<Path> file = existingData(raw, key, at);
            file.flatMap(path -> read(path, options, key, at)).ifPresent(dataset -> {
                files.add(file.get());
                datasets.add(dataset);
                parts.add(new DataMixture.Part(dataset, partWeight));
            });
        }
        List<Dataset> train = weighted && parts.size() == entries.size() && !parts.isEmpty()
                ? List.of(DataMixture.mix(parts, seed)) : datasets;
        return replay(data.get(), train, tokenizerDir, at);
    }

    /** {@code data.replay: {path: general.jsonl, ratio: 0.2}}: general-text rows added against forgetting. */
    private List<Dataset> replay(ObjectNode data, List<Dataset> train, Optional<Path> tokenizerDir,
                                 ConfigProblems problems) {
        Optional<ObjectNode> node = YamlFields.mapping(data, "replay", problems);
        if (node.isEmpty()) {
            return train;
        }
        ConfigProblems at = problems.child("replay");
        ConfigBinder.rejectUnknownKeys(node.get(), List.of("path", "ratio"), at);
        JsonNode ratio = node.get().get("ratio");
        boolean ratioOk = ratio != null && ratio.isNumber() && ratio.asDouble() > 0 && ratio.asDouble() <= 1;
        if (!ratioOk) {
            at.add("ratio", "must be a number in (0, 1]: the replay rows as a share of the training rows, was %s",
                    ratio == null ? "missing" : TypeNames.describeValue(ratio));
        }
        Optional<String> raw = YamlFields.string(node.get(), "path", at);
        if (raw.isEmpty() && !node.get().has("path")) {
            at.add("path", "missing; expected a JSONL file of general text to replay");
        }
        Optional<Dataset> general = raw.flatMap(path -> existingData(path, "path", at))
                .flatMap(path -> read(path, DataOptions.DEFAULTS.withTokenizer(tokenizerDir), "path", at));
        if (general.isPresent() && general.get().size() == 0) {
            at.add("path", "%s has no rows to replay", raw.get());
            return train;
        }
        if (general.isEmpty() || !ratioOk) {
            return train;
        }
        int rows = train.stream().mapToInt(Dataset::size).sum();
        List<Dataset> mixed = new ArrayList<>(train);
        mixed.add(DataMixture.replay(general.get(), rows, ratio.asDouble(), seed));
        return mixed;
    }

    Optional<Path> existingFile(String raw, String key, ConfigProblems problems) {
        Path resolved = dir.resolve(raw).normalize();
        if (!Files.isRegularFile(resolved)) {
            problems.add(key, "no such file: %s (resolved to %s)", raw, resolved);
            return Optional.empty();
        }
        return Optional.of(resolved);
    }

    /** A data file or a Hub-style dataset directory. */
    private Optional<Path> existingData(String raw, String key, ConfigProblems problems) {
        Path resolved = dir.resolve(raw).normalize();
        if (!Files.isRegularFile(resolved) && !Files.isDirectory(resolved)) {
            problems.add(key, "no such file: %s (resolved to %s)", raw, resolved);
            return Optional.empty();
        }
        return Optional.of(resolved);
    }

    /** {@code data.columns}, {@code data.split}, {@code data.max_rows}, {@code data.shuffle_seed}. */
    private static DataOptions dataOptions(ObjectNode data, ConfigProblems problems) {
        Map<String, String> columns = new java.util.LinkedHashMap<>();
        YamlFields.mapping(data, "columns", problems).ifPresent(mapping -> mapping.fields().forEachRemaining(entry -> {
            if (entry.getValue().isTextual()) {
                columns.put(entry.getKey(), entry.getValue().textValue());
            } else {
                problems.child("columns").add(entry.getKey(), "must be the name of a column of the file, was %s",
                        TypeNames.describeValue(entry.getValue()));
            }
        }));
        String split = YamlFields.string(data, "split", problems).orElse("train");
        Optional<Long> maxRows = YamlFields.integer(data, "max_rows", problems);
        maxRows.ifPresent(rows -> problems.check(rows > 0 && rows <= Integer.MAX_VALUE, "max_rows", "must be > 0, was %d", rows));
        Optional<Long> seed = YamlFields.integer(data, "shuffle_seed", problems);
        return new DataOptions(columns, split, maxRows.map(rows -> (int) Math.max(1, Math.min(Integer.MAX_VALUE, rows))), seed);
    }

    private static Optional<Dataset> read(Path file, DataOptions options, String key, ConfigProblems problems) {
        try {
            return Optional.of(DatasetFiles.read(file, options));
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                problems.add(key, problem);
            }
            return Optional.empty();
        }
    }

    /**
     * {@code training.max_length}: at most the model's positions (a longer sequence cannot be encoded: GPT-2's
     * position table ends there, and RoPE models were not trained beyond it); without the key, the default capped
     * at the model's positions, as a tokenizer's {@code model_max_length} caps it in transformers.
     */
    private static int maxLength(Optional<ObjectNode> training, OptionalInt modelPositions, ConfigProblems problems) {
        Optional<Long> value = training.flatMap(node -> YamlFields.integer(node, "max_length", problems));
        if (value.isEmpty()) {
            return Math.min(DEFAULT_MAX_LENGTH, modelPositions.orElse(DEFAULT_MAX_LENGTH));
        }
        problems.check(value.get() > 0 && value.get() <= Integer.MAX_VALUE, "max_length",
                "must be > 0, was %d", value.get());
        if (modelPositions.isPresent() && value.get() > modelPositions.getAsInt()) {
            problems.add("max_length", "%d is more than the model reads: its config.json has max_position_embeddings "
                    + "%d; lower max_length to at most %d", value.get(), modelPositions.getAsInt(),
                    modelPositions.getAsInt());
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, value.get()));
    }

    /**
     * The positions of the model a stage starts from, read from the config.json at the root of its base (a
     * checkpoint's, a random initialisation's, or the earlier stage's it continues); empty when unknown (the
     * config is unreadable: loading it reports that).
     */
    private OptionalInt positions(int index, BaseSpec base, Map<String, Integer> names) {
        if (base instanceof BaseSpec.Checkpoint checkpoint) {
            return configPositions(checkpoint.dir().resolve("config.json"));
        }
        if (base instanceof BaseSpec.RandomInit init) {
            return configPositions(init.config());
        }
        Integer earlier = base instanceof BaseSpec.Stage stage ? names.get(stage.name()) : Integer.valueOf(index - 1);
        return earlier == null || !positions.containsKey(earlier) ? OptionalInt.empty()
                : OptionalInt.of(positions.get(earlier));
    }

    private static OptionalInt configPositions(Path config) {
        try {
            int limit = ModelConfigJson.parse(Files.readString(config), config.toString()).maxPositionEmbeddings();
            return limit > 0 ? OptionalInt.of(limit) : OptionalInt.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    private Optional<TrainingConfig> training(Optional<ObjectNode> node, List<Dataset> data, ConfigProblems problems) {
        ObjectNode values = node.map(ObjectNode::deepCopy).orElseGet(JsonNodeFactory.instance::objectNode);
        if (!values.has("seed")) {
            // The pipeline's seed drives training unless the stage sets its own.
            values.put("seed", seed);
        }
        int before = problems.messages().size();
        precision(values, problems);
        Optional<TrainingConfig> config = binder.bind(TrainingConfig.defaults(), TrainingConfig.class, values,
                List.of("max_length", "bf16", "fp16", "divergence", "ewc"), problems);
        Optional<DivergenceConfig> divergence = section(values, "divergence", DivergenceConfig.defaults(),
                DivergenceConfig.class, "{loss_factor: 2.0, loss_patience: 50}", problems.child("divergence"));
        Optional<EwcConfig> ewc = section(values, "ewc", EwcConfig.defaults(), EwcConfig.class,
                "{lambda: 100, fisher_rows: 64}", problems.child("ewc"));
        config = config.map(bound -> bound.withDivergence(divergence.orElse(DivergenceConfig.defaults()))
                .withEwc(ewc.orElse(EwcConfig.defaults())));
        config.ifPresent(bound -> bound.validate(problems));
        config.ifPresent(bound -> checkStepCount(bound, data, problems));
        return problems.messages().size() > before ? Optional.empty() : config;
    }

    /** {@code training.divergence} or {@code training.ewc}: its keys bound onto the defaults one by one. */
    private <C extends Record> Optional<C> section(ObjectNode training, String key, C defaults, Class<C> type,
                                                   String example, ConfigProblems problems) {
        JsonNode node = training.get(key);
        if (node == null) {
            return Optional.of(defaults);
        }
        if (!(node instanceof ObjectNode section)) {
            problems.add("", "expected a mapping such as %s, was %s", example, TypeNames.describeValue(node));
            return Optional.empty();
        }
        int before = problems.messages().size();
        Optional<C> bound = binder.bind(defaults, type, section, List.of(), problems);
        return problems.messages().size() > before ? Optional.empty() : bound;
    }

    /**
     * Hugging Face's {@code bf16} / {@code fp16} switches: accepted when false; true is refused before any
     * weights load, since training runs in float32 (the CPU engine aborts the JVM on bfloat16 arithmetic,
     * and mixed precision on GPUs is not implemented).
     */
    private static void precision(ObjectNode values, ConfigProblems problems) {
        for (String key : List.of("bf16", "fp16")) {
            Optional<Boolean> on = YamlFields.bool(values, key, problems);
            if (on.orElse(false)) {
                problems.add(key, "%s mixed-precision training is not supported; finetune4j trains in float32 "
                        + "(on CPU, bfloat16 arithmetic aborts the PyTorch engine). Remove %s or set it to false",
                        key.equals("bf16") ? "bfloat16" : "float16", key);
            }
        }
    }

    private List<EvaluatorSpec> evaluators(ObjectNode stage, ConfigProblems problems) {
        JsonNode node = stage.get("evaluators");
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            problems.add("evaluators", "expected a list of {id: ..., data: file.jsonl}, was %s",
                    TypeNames.describeValue(node));
            return List.of();
        }
        List<EvaluatorSpec> specs = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            evaluator(node.get(i), problems.child("evaluators").child("[" + i + "]")).ifPresent(specs::add);
        }
        return specs;
    }

    private Optional<EvaluatorSpec> evaluator(JsonNode node, ConfigProblems problems) {
        var plugin = plugin("evaluator", node, evaluators, EVALUATOR_KEYS, problems);
        if (!(node instanceof ObjectNode section)) {
            if (node != null && node.isTextual()) {
                problems.add("data", "missing; expected a JSONL file to evaluate on");
            }
            return Optional.empty();
        }
        Set<EvaluatorSpec.When> when = when(section, problems);
        Optional<String> rawData = YamlFields.string(section, "data", problems);
        if (rawData.isEmpty()) {
            if (!section.has("data")) {
                problems.add("data", "missing; expected a JSONL file to evaluate on");
            }
            return Optional.empty();
        }
        Optional<Path> file = existingData(rawData.get(), "data", problems);
        Optional<Dataset> dataset = file.flatMap(path -> read(path, DataOptions.DEFAULTS, "data", problems));
        if (plugin.isEmpty() || dataset.isEmpty()) {
            return Optional.empty();
        }
        Optional<Evaluator> evaluator = checkedEvaluator(plugin.get(), dataset.get(), problems);
        if (evaluator.isEmpty() || when.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new EvaluatorSpec(plugin.get(), file.get(), dataset.get(), evaluator.get(), when));
    }

    /** The evaluator, created once; it rejects the rows it cannot judge now, before any model is loaded. */
    private static Optional<Evaluator> checkedEvaluator(PluginChoice<EvaluatorProvider<?>> plugin, Dataset dataset,
                                                        ConfigProblems problems) {
        try {
            Evaluator evaluator = PluginCalls.createEvaluator(plugin);
            evaluator.checkData(dataset);
            return Optional.of(evaluator);
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                problems.add("data", problem);
            }
            return Optional.empty();
        }
    }

    private static Set<EvaluatorSpec.When> when(ObjectNode section, ConfigProblems problems) {
        if (!section.has("when")) {
            return EnumSet.of(EvaluatorSpec.When.AFTER);
        }
        Optional<List<String>> values = YamlFields.strings(section, "when", problems);
        if (values.isEmpty()) {
            return Set.of();
        }
        Set<EvaluatorSpec.When> when = EnumSet.noneOf(EvaluatorSpec.When.class);
        for (String value : values.get()) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "before" -> when.add(EvaluatorSpec.When.BEFORE);
                case "after" -> when.add(EvaluatorSpec.When.AFTER);
                default -> problems.add("when", "expected before and/or after, was '%s'", value);
            }
        }
        if (values.get().isEmpty()) {
            problems.add("when", "must name before and/or after");
        }
        return when.size() == values.get().stream().map(v -> v.toLowerCase(Locale.ROOT)).distinct().count()
                ? when : Set.of();
    }
}
