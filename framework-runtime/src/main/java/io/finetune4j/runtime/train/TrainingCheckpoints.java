package io.finetune4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.TrainingException;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resumable training checkpoints, as Hugging Face Trainer's {@code checkpoint-N} directories: every
 * {@code save_steps} optimizer steps the trainer writes {@code dir/checkpoint-N/} with
 * <ul>
 *   <li>{@code trainable.safetensors}: every trainable parameter (the method's and the objective's) by name;</li>
 *   <li>{@code optimizer.safetensors}: AdamW's moments, {@code NAME.exp_avg} and {@code NAME.exp_avg_sq};</li>
 *   <li>{@code trainer_state.json}: {@code global_step}, {@code max_steps}, {@code seed} and the parameter names.</li>
 * </ul>
 * Each directory is written to a temporary sibling and moved into place, so a crash leaves either the
 * whole checkpoint or none; the oldest are deleted beyond {@code save_total_limit}.
 *
 * <p>Resuming restores the parameters, the moments and the step count, and replays the example order
 * (it is a function of the seed), so the resumed run continues on the batches and learning rates the
 * uninterrupted run would have used. Not restored: state a method or objective keeps outside its
 * trainable parameters (AdaLoRA's importance averages, PPO's adaptive KL coefficient and rollout buffer)
 * and the engine's dropout random stream, which restarts from the seed.
 */
public final class TrainingCheckpoints {
    public static final String PREFIX = "checkpoint-";
    static final String PARAMETERS = "trainable.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String STATE = "trainer_state.json";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int saveSteps;
    private final int saveTotalLimit;
    private final boolean resume;

    /**
     * @param dir where {@code checkpoint-N} directories go
     * @param saveSteps every this many steps; 0 writes none
     * @param saveTotalLimit keep this many, 0 = all
     * @param resume continue from the latest checkpoint in {@code dir} when there is one
     */
    public TrainingCheckpoints(Path dir, int saveSteps, int saveTotalLimit, boolean resume) {
        this.dir = dir;
        this.saveSteps = saveSteps;
        this.saveTotalLimit = saveTotalLimit;
        this.resume = resume;
    }

    public Path dir() {
        return dir;
    }

    boolean dueAt(int step, int totalSteps) {
        return saveSteps > 0 && step % saveSteps == 0 && step < totalSteps;
    }

    /** The checkpoint to resume from: the highest complete {@code checkpoint-N}, when resuming. */
    public Optional<Path> resumeFrom() {
        return resume ? latest(dir) : Optional.empty();
    }

    /** The highest-numbered complete checkpoint in {@code dir} (one with its state file). */
    public static Optional<Path> latest(Path dir) {
        return list(dir).stream().reduce((a, b) -> b);
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(path -> NAME.matcher(path.getFileName().toString()).matches())
                    .filter(path -> Files.isRegularFile(path.resolve(STATE)))
                    .sorted(Comparator.comparingLong(TrainingCheckpoints::stepOf))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + dir, e);
        }
    }

    static long stepOf(Path checkpoint) {
        Matcher matcher = NAME.matcher(checkpoint.getFileName().toString());
        return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /** Writes {@code checkpoint-step} atomically and prunes old ones. */
    void save(int step, int totalSteps, long seed, List<String> names, List<NDArray> parameters, AdamW optimizer) {
        Map<String, NDArray> values = new LinkedHashMap<>();
        Map<String, NDArray> moments = new LinkedHashMap<>();
        Map<String, DataType> f32 = new LinkedHashMap<>();
        Map<String, DataType> f32Moments = new LinkedHashMap<>();
        List<NDArray> first = optimizer.firstMoments();
        List<NDArray> second = optimizer.secondMoments();
        for (int i = 0; i < names.size(); i++) {
            values.put(names.get(i), parameters.get(i));
            f32.put(names.get(i), DataType.FLOAT32);
            moments.put(names.get(i) + ".exp_avg", first.get(i));
            moments.put(names.get(i) + ".exp_avg_sq", second.get(i));
            f32Moments.put(names.get(i) + ".exp_avg", DataType.FLOAT32);
            f32Moments.put(names.get(i) + ".exp_avg_sq", DataType.FLOAT32);
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("global_step", step);
        state.put("max_steps", totalSteps);
        state.put("optimizer_steps", optimizer.stepCount());
        state.put("seed", seed);
        state.put("parameters", names);
        AtomicFiles.writeDirectoryAtomically(dir.resolve(PREFIX + step), temporary -> {
            SafetensorsWriter.write(temporary.resolve(PARAMETERS), values, f32, Map.of("format", "pt"));
            SafetensorsWriter.write(temporary.resolve(OPTIMIZER), moments, f32Moments, Map.of("format", "pt"));
            Files.writeString(temporary.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        });
        if (saveTotalLimit > 0) {
            List<Path> all = list(dir);
            for (Path old : all.subList(0, Math.max(0, all.size() - saveTotalLimit))) {
                try {
                    AtomicFiles.deleteRecursively(old);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete old checkpoint " + old, e);
                }
            }
        }
    }

    /**
     * Copies a checkpoint's parameters and moments into the live arrays; returns its step.
     *
     * @throws TrainingException naming the checkpoint when it does not fit this run
     */
    static int restore(Path checkpoint, int totalSteps, List<String> names, List<NDArray> parameters,
                       AdamW optimizer, NDManager scope) {
        JsonNode state;
        try {
            state = JSON.readTree(checkpoint.resolve(STATE).toFile());
        } catch (IOException e) {
            throw new TrainingException("cannot read " + checkpoint.resolve(STATE) + ": " + e.getMessage(), e);
        }
        int step = state.path("global_step").asInt(-1);
        List<String> saved = new ArrayList<>();
        state.path("parameters").forEach(node -> saved.add(node.asText()));
        if (step < 1 || step >= totalSteps || state.path("max_steps").asInt() != totalSteps) {
            throw new TrainingException(String.format(Locale.ROOT, "%s: step %d of %d does not fit this run of %d "
                    + "steps; resume only with the settings that wrote it", checkpoint, step,
                    state.path("max_steps").asInt(), totalSteps));
        }
        if (!saved.equals(names)) {
            throw new TrainingException(String.format("%s: its parameters %s are not this run's trainable "
                    + "parameters %s (another method or config?)", checkpoint.resolve(PARAMETERS), abbreviate(saved),
                    abbreviate(names)));
        }
        List<NDArray> first = optimizer.firstMoments();
        List<NDArray> second = optimizer.secondMoments();
        try (SafetensorsReader values = SafetensorsReader.open(checkpoint.resolve(PARAMETERS));
             SafetensorsReader moments = SafetensorsReader.open(checkpoint.resolve(OPTIMIZER))) {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                copy(values, name, parameters.get(i), checkpoint.resolve(PARAMETERS), scope);
                copy(moments, name + ".exp_avg", first.get(i), checkpoint.resolve(OPTIMIZER), scope);
                copy(moments, name + ".exp_avg_sq", second.get(i), checkpoint.resolve(OPTIMIZER), scope);
            }
        }
        optimizer.restoreStepCount(state.path("optimizer_steps").asInt(step));
        return step;
    }

    private static void copy(SafetensorsReader reader, String name, NDArray target, Path file, NDManager scope) {
        if (!reader.contains(name)) {
            throw new TrainingException(file + ": has no tensor '" + name + "'");
        }
        NDArray loaded = reader.load(name, scope);
        if (!loaded.getShape().equals(target.getShape())) {
            throw new TrainingException(String.format("%s: '%s' has shape %s, this run's %s", file, name,
                    loaded.getShape(), target.getShape()));
        }
        // In place, so the parameter keeps its identity and gradient flag.
        target.set(loaded.toType(target.getDataType(), false).toByteBuffer());
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 4 ? names.toString()
                : names.subList(0, 3) + " ... (" + names.size() + " names)";
    }
}
