package io.finetune4j.runner.review;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.model.AdapterLoader;
import io.finetune4j.runner.model.ModelHandle;
import io.finetune4j.runner.model.ModelStore;
import io.finetune4j.runner.report.SampleGeneration;
import io.finetune4j.runner.report.SampleGenerations;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code ft4j review}: the two stages' answers to the review prompts, generated once (greedy, as the report's
 * samples) and cached in {@code RUN_DIR/review/answers.jsonl}, so a restarted review shows the same items.
 * A stage's model is its {@code model/} directory or, for an adapter stage, its base with {@code adapter/}.
 */
public final class ReviewService {
    /** {@code --stages}' name for the base a stage started from. */
    public static final String BASE = "base";

    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Console console;

    @Inject
    public ReviewService(ModelStore models, AdapterLoader adapters, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** A reviewed model: its label, checkpoint, optional adapter, and the stage file its prompts come from. */
    private record Side(String label, Path model, Optional<Path> adapter, Path stageYaml) {}

    /** The review items of {@code runDir}: read from the cache, or generated and cached. */
    public List<ReviewItem> items(Path runDir, Optional<String> stages, int prompts, long seed) {
        if (prompts < 1) {
            throw new ConfigException("--prompts: must be >= 1, was " + prompts);
        }
        ReviewStore store = new ReviewStore(runDir);
        if (store.hasAnswers()) {
            List<ReviewItem> items = store.readAnswers();
            stages.ifPresent(pair -> checkCached(store, items, pair));
            console.status("review: " + items.size() + " items from " + store.answersFile());
            return items;
        }
        Side[] pair = pair(runDir, stages);
        Path stageYaml = pair[0].label().equals(BASE) ? pair[1].stageYaml() : pair[0].stageYaml();
        List<String> texts = prompts(stageYaml, prompts);
        if (texts.isEmpty()) {
            throw new ConfigException(stageYaml + ": no evaluation or training row has a \"prompt\" field to review");
        }
        List<SampleGeneration> a = generate(pair[0], texts);
        List<SampleGeneration> b = generate(pair[1], texts);
        List<ReviewItem> items = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            long itemSeed = seed + i;
            boolean aShownFirst = new SplittableRandom(itemSeed).nextBoolean();
            items.add(new ReviewItem(i, pair[0].label(), pair[1].label(), texts.get(i), a.get(i).output(),
                    b.get(i).output(), aShownFirst, itemSeed));
        }
        store.writeAnswers(items);
        console.status("review: " + items.size() + " items written to " + store.answersFile());
        return items;
    }

    /** Starts the review page for the items of {@code runDir}; votes already cast are skipped. */
    public ReviewServer serve(Path runDir, List<ReviewItem> items, long seed, String host, int port) {
        ReviewServer server = ReviewServer.start(items, new ReviewStore(runDir), seed, host, port);
        console.status("review: " + new ReviewStore(runDir).readVotes().size() + " of " + items.size()
                + " items voted; votes go to " + new ReviewStore(runDir).votesFile());
        console.result("review: open " + server.uri());
        return server;
    }

    /** {@code --export-preferences FILE}: the decided votes as prompt/chosen/rejected rows. */
    public int exportPreferences(Path runDir, Path file) {
        ReviewStore store = new ReviewStore(runDir);
        if (!store.hasAnswers()) {
            throw new ConfigException("--export-preferences: " + runDir + " has no review (no " + store.answersFile() + ")");
        }
        int rows = store.exportPreferences(file);
        console.status("review: " + rows + " preference rows written to " + file + " (ties and both-bad left out)");
        return rows;
    }

    private static void checkCached(ReviewStore store, List<ReviewItem> items, String pair) {
        if (!items.isEmpty() && !(items.get(0).stageA() + "," + items.get(0).stageB()).equals(pair)) {
            throw new ConfigException(String.format("--stages: %s holds answers of %s,%s, not %s; "
                    + "move the review/ directory away to review other stages", store.answersFile(),
                    items.get(0).stageA(), items.get(0).stageB(), pair));
        }
    }

    private Side[] pair(Path runDir, Optional<String> stages) {
        List<String> names = stageNames(runDir);
        if (stages.isEmpty()) {
            String last = null;
            for (String name : names) {
                if (Files.isRegularFile(runDir.resolve(name).resolve("stage.yaml"))) {
                    last = name;
                }
            }
            if (last == null) {
                throw new ConfigException(runDir + ": no stage has finished (no <stage>/stage.yaml)");
            }
            return new Side[] {side(runDir, names, last), baseSide(runDir, names, last)};
        }
        String[] parts = stages.get().split(",", -1);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank() || parts[0].equals(parts[1])) {
            throw new ConfigException("--stages: expected two different stage names as a,b, was '" + stages.get() + "'");
        }
        String a = parts[0].trim();
        String b = parts[1].trim();
        if (a.equals(BASE)) {
            return new Side[] {baseSide(runDir, names, b), side(runDir, names, b)};
        }
        Side first = side(runDir, names, a);
        return new Side[] {first, b.equals(BASE) ? baseSide(runDir, names, a) : side(runDir, names, b)};
    }

    private Side side(Path runDir, List<String> names, String name) {
        if (!names.contains(name)) {
            throw new ConfigException(String.format("--stages: no stage '%s' in %s; known: %s, or '%s'", name,
                    runDir.resolve("pipeline.yaml"), names, BASE));
        }
        Path dir = runDir.resolve(name);
        Path stageYaml = dir.resolve("stage.yaml");
        if (!Files.isRegularFile(stageYaml)) {
            throw new ConfigException("stage " + name + ": has not finished (no " + stageYaml + ")");
        }
        if (Files.isDirectory(dir.resolve("model"))) {
            return new Side(name, dir.resolve("model"), Optional.empty(), stageYaml);
        }
        if (Files.isDirectory(dir.resolve("adapter"))) {
            return new Side(name, base(stageYaml), Optional.of(dir.resolve("adapter")), stageYaml);
        }
        throw new ConfigException("stage " + name + ": " + dir + " holds neither model/ nor adapter/");
    }

    /** The base {@code name} started from: a stage of the run when its model is that stage's, else {@code base}. */
    private Side baseSide(Path runDir, List<String> names, String name) {
        Path stageYaml = runDir.resolve(name).resolve("stage.yaml");
        Path base = base(stageYaml).toAbsolutePath().normalize();
        for (String other : names) {
            if (runDir.resolve(other).resolve("model").toAbsolutePath().normalize().equals(base)) {
                return new Side(other, base, Optional.empty(), runDir.resolve(other).resolve("stage.yaml"));
            }
        }
        return new Side(BASE, base, Optional.empty(), stageYaml);
    }

    private static Path base(Path stageYaml) {
        JsonNode base = readYaml(stageYaml).path("base");
        if (!base.isTextual()) {
            throw new ConfigException(stageYaml + ": base: the stage started from random weights, which the run "
                    + "directory does not keep; name two stages with --stages a,b");
        }
        return Path.of(base.asText());
    }

    private static List<String> stageNames(Path runDir) {
        Path pipeline = runDir.resolve("pipeline.yaml");
        if (!Files.isRegularFile(pipeline)) {
            throw new ConfigException("review: " + runDir.toAbsolutePath() + " is not a run directory (no pipeline.yaml)");
        }
        List<String> names = new ArrayList<>();
        readYaml(pipeline).path("stages").forEach(stage -> names.add(stage.path("name").asText()));
        return names;
    }

    /** Distinct prompts of the stage's evaluation data, then of its training data, first rows first. */
    static List<String> prompts(Path stageYaml, int count) {
        JsonNode stage = readYaml(stageYaml);
        List<Path> files = new ArrayList<>();
        stage.path("evaluators").forEach(evaluator -> files.add(Path.of(evaluator.path("data").asText())));
        stage.path("data").path("train").forEach(file -> files.add(Path.of(file.asText())));
        Set<String> prompts = new LinkedHashSet<>();
        ObjectMapper json = new ObjectMapper();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (prompts.size() == count) {
                        return List.copyOf(prompts);
                    }
                    if (!line.isBlank()) {
                        JsonNode prompt = json.readTree(line).path("prompt");
                        if (prompt.isTextual() && !prompt.asText().isEmpty()) {
                            prompts.add(prompt.asText());
                        }
                    }
                }
            } catch (IOException e) {
                throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(prompts);
    }

    private List<SampleGeneration> generate(Side side, List<String> prompts) {
        console.status("review: generating " + prompts.size() + " answers with " + side.label()
                + " (" + side.model() + side.adapter().map(dir -> " + " + dir).orElse("") + ")");
        try (ModelHandle handle = models.load(side.model(), side.label())) {
            side.adapter().ifPresent(dir -> adapters.load(handle.model(), dir));
            return SampleGenerations.generate(handle.model(), prompts);
        }
    }

    private static JsonNode readYaml(Path file) {
        try {
            return new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
