package io.finetune4j.runner.tensorboard;

import io.finetune4j.runner.eval.EvaluatorResult;
import io.finetune4j.runner.eval.MetricResult;
import io.finetune4j.runtime.train.MetricsSink;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A run's TensorBoard scalars, one event file per stage and invocation:
 * {@code <run>/tensorboard/<stage>/events.out.tfevents.<unix seconds>.<host>}, so {@code tensorboard --logdir runs/}
 * shows each stage of each run as a run of its own. Names follow HF Trainer's: every logged training value as
 * {@code train/<name>} ({@code train/loss}, {@code train/learning_rate}, {@code train/grad_norm}, the objective's
 * metrics), evaluations as {@code eval/<data file stem>/<metric>} at step 0 (before training) or at the stage's
 * final step (after).
 *
 * <p>The event files are a secondary copy of {@code metrics.jsonl} and {@code eval.jsonl}: a file that cannot be
 * written is reported once through {@code warnings} and its stage writes no more events; training goes on.
 */
public final class TensorBoardLog implements MetricsSink, AutoCloseable {
    /** The directory under the run directory. */
    public static final String DIR = "tensorboard";

    private final Path root;
    private final Clock clock;
    private final Consumer<String> warnings;
    private final Map<String, EventFileWriter> writers = new HashMap<>();
    private final Set<String> failed = new HashSet<>();

    public TensorBoardLog(Path runDir, Clock clock, Consumer<String> warnings) {
        this.root = runDir.resolve(DIR);
        this.clock = clock;
        this.warnings = warnings;
    }

    /**
     * Called when {@code stage} starts training from {@code resumedStep}; after a resume, marks a session start
     * at the next step so TensorBoard drops the steps an earlier, interrupted invocation logged after it.
     */
    public synchronized void startStage(String stage, int resumedStep) {
        if (resumedStep > 0) {
            write(stage, writer -> writer.sessionStart(wallTime(), resumedStep + 1));
        }
    }

    @Override
    public synchronized void record(String stage, int step, Map<String, Double> values) {
        Map<String, Double> scalars = new LinkedHashMap<>();
        values.forEach((name, value) -> scalars.put("train/" + name, value));
        write(stage, writer -> writer.scalars(wallTime(), step, scalars));
    }

    /** The metrics of {@code results} as {@code eval/<data file stem>/<metric>} at {@code step}. */
    public synchronized void evaluations(String stage, int step, List<EvaluatorResult> results) {
        Map<String, Double> scalars = new LinkedHashMap<>();
        for (EvaluatorResult result : results) {
            String source = result.data() == null ? result.id() : stem(result.data());
            for (MetricResult metric : result.metrics()) {
                scalars.put("eval/" + source + "/" + metric.name(), metric.interval().value());
            }
        }
        if (!scalars.isEmpty()) {
            write(stage, writer -> writer.scalars(wallTime(), step, scalars));
        }
    }

    @Override
    public synchronized void close() {
        writers.forEach((stage, writer) -> {
            try {
                writer.close();
            } catch (IOException e) {
                warnings.accept("tensorboard: cannot close " + writer.file() + ": " + e.getMessage());
            }
        });
        writers.clear();
    }

    private interface Write {
        void to(EventFileWriter writer) throws IOException;
    }

    private void write(String stage, Write write) {
        if (failed.contains(stage)) {
            return;
        }
        Path file = null;
        try {
            EventFileWriter writer = writers.get(stage);
            if (writer == null) {
                file = root.resolve(stage).resolve(String.format(Locale.ROOT, "events.out.tfevents.%d.%s",
                        clock.millis() / 1000, host()));
                writer = EventFileWriter.create(file, wallTime());
                writers.put(stage, writer);
            }
            file = writer.file();
            write.to(writer);
        } catch (IOException e) {
            failed.add(stage);
            warnings.accept(String.format("tensorboard: cannot write %s (%s); stage %s writes no more TensorBoard "
                    + "events (metrics.jsonl has every step)", file, e.getMessage(), stage));
        }
    }

    private double wallTime() {
        return clock.millis() / 1000.0;
    }

    private static String stem(Path data) {
        String name = data.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** The host name, as TensorBoard's writers put it in the file name; {@code localhost} when it is unknown. */
    private static String host() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return name.isEmpty() || !name.matches("[A-Za-z0-9._-]+") ? "localhost" : name;
        } catch (IOException e) {
            return "localhost";
        }
    }
}
