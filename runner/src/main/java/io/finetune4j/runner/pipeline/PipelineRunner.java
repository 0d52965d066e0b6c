package io.finetune4j.runner.pipeline;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.report.RunReportWriter;
import io.finetune4j.runner.report.StageOutcome;
import io.finetune4j.runner.report.TrainingCurves;
import io.finetune4j.runner.tensorboard.TensorBoardLog;
import io.finetune4j.runtime.train.TrainingCheckpoints;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ft4j run}: validates the whole pipeline file first, then runs its stages in order in one run
 * directory ({@code runs/<name>-<yyyyMMdd-HHmmss>} unless given), which gets a copy of the pipeline file,
 * {@code metrics.jsonl} (every logged training step of every stage), the same scalars and the evaluations as
 * TensorBoard event files in {@code tensorboard/<stage>/}, one directory per stage and, at the
 * end, the report ({@code report.md}, {@code report.html}, {@code charts/}, {@code eval.jsonl}).
 */
public final class PipelineRunner {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final PipelineParser parser;
    private final StageRunner stages;
    private final Console console;
    private final Clock clock;
    private final RunReportWriter report;

    @Inject
    public PipelineRunner(PipelineParser parser, StageRunner stages, Console console, Clock clock,
                          RunReportWriter report) {
        this.parser = requireNonNull(parser, "parser is null");
        this.stages = requireNonNull(stages, "stages is null");
        this.console = requireNonNull(console, "console is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.report = requireNonNull(report, "report is null");
    }

    /**
     * Runs {@code file}; with {@code resume}, continues the run in {@code output}: stages that finished
     * there (their {@code metrics.json} is written last) are skipped, and the first unfinished one resumes
     * from its latest training checkpoint. Returns the run directory.
     */
    public Path run(Path file, Optional<Path> output, boolean resume) {
        return run(file, output, resume ? RunDirectory.Mode.RESUME : RunDirectory.Mode.NEW);
    }

    /**
     * Runs {@code file} in {@code output} (default {@code runs/<name>-<time>}), which this process owns while it
     * runs (see {@link RunDirectory}): {@code NEW} refuses a directory that holds anything, {@code OVERWRITE} moves
     * such a directory aside first, {@code RESUME} continues the run there. Returns the run directory.
     */
    public Path run(Path file, Optional<Path> output, RunDirectory.Mode mode) {
        PipelineSpec spec = parser.parse(file);
        Path runDir = output.orElseGet(() -> defaultRunDir(spec)).toAbsolutePath().normalize();
        boolean resume = mode == RunDirectory.Mode.RESUME;
        if (resume && !Files.isDirectory(runDir)) {
            throw new ConfigException("--resume: " + runDir + " is not a run directory (it does not exist)");
        }
        try (RunDirectory owned = RunDirectory.open(runDir, mode, console::status)) {
            return runIn(spec, owned.dir(), resume);
        }
    }

    private Path runIn(PipelineSpec spec, Path runDir, boolean resume) {
        try {
            if (resume) {
                checkSamePipeline(spec, runDir);
            }
            Files.copy(spec.file(), runDir.resolve("pipeline.yaml"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve("pipeline.yaml"), e);
        }
        console.status(String.format("run %s: %d stage(s) in %s", spec.name(), spec.stages().size(), runDir));
        List<StageOutcome> outcomes = new ArrayList<>();
        Optional<String> failure = Optional.empty();
        RuntimeException thrown = null;
        Path metrics = runDir.resolve("metrics.jsonl");
        TrainingCurves curves;
        try (MetricsLog log = resume ? MetricsLog.resume(metrics, console::status) : MetricsLog.create(metrics,
                console::status);
             TensorBoardLog board = new TensorBoardLog(runDir, clock, console::warning)) {
            Optional<StageResult> previous = Optional.empty();
            for (StageSpec stage : spec.stages()) {
                Optional<StageResult> finished = resume ? finished(stage, runDir) : Optional.empty();
                if (finished.isPresent()) {
                    console.status(String.format("stage %s: finished in an earlier invocation; skipped", stage.name()));
                    Optional<StageOutcome> outcome = StageOutcome.load(finished.get().dir(), stage);
                    outcome.ifPresentOrElse(outcomes::add, () -> console.status(String.format("stage %s: no "
                            + "readable %s; the report leaves it out (its results are in %s)", stage.name(),
                            StageOutcome.FILE, finished.get().dir().resolve("metrics.json"))));
                    previous = finished;
                    continue;
                }
                try {
                    outcomes.add(stages.run(stage, runDir, previous, log, board, resume));
                    previous = Optional.of(finished(stage, runDir).orElseThrow(() -> new IllegalStateException(
                            "stage " + stage.name() + " ended without its metrics.json")));
                } catch (RuntimeException e) {
                    failure = Optional.of(String.format("stage '%s' failed: %s", stage.name(),
                            e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                    thrown = e;
                    break;
                }
            }
            curves = log.curves();
        }
        // Also when a stage failed, so the finished stages' evaluations and curves are not lost.
        boolean reported = false;
        try {
            report.write(runDir, spec, outcomes, curves, failure);
            reported = true;
        } catch (RuntimeException e) {
            if (thrown == null) {
                throw e;
            }
            thrown.addSuppressed(e);
        }
        if (thrown != null) {
            if (reported) {
                console.result("report of the finished stages: " + runDir.resolve("report.html"));
            }
            console.status(kept(spec, runDir));
            throw thrown;
        }
        console.result("report: " + runDir.resolve("report.html"));
        console.result("run directory: " + runDir);
        return runDir;
    }

    /** What a failed run leaves for {@code --resume}: the finished stages and the newest checkpoint of the next. */
    private static String kept(PipelineSpec spec, Path runDir) {
        List<String> finished = new ArrayList<>();
        for (StageSpec stage : spec.stages()) {
            if (finished(stage, runDir).isPresent()) {
                finished.add(stage.name());
                continue;
            }
            Optional<Path> checkpoint = TrainingCheckpoints.latest(runDir.resolve(stage.name()).resolve("checkpoints"));
            return String.format("kept in %s: %s; %s", runDir,
                    finished.isEmpty() ? "no finished stage" : "finished stage(s) " + String.join(", ", finished),
                    checkpoint.map(dir -> "stage " + stage.name() + " can resume from " + runDir.relativize(dir)
                            + " (ft4j run ... --output " + runDir + " --resume)")
                            .orElse("stage " + stage.name() + " saved no checkpoint (training.save_steps)"));
        }
        return "kept in " + runDir + ": every stage finished";
    }

    /** A resumed run must be the same pipeline: its stages' outputs would not mean what they say otherwise. */
    private static void checkSamePipeline(PipelineSpec spec, Path runDir) throws IOException {
        Path saved = runDir.resolve("pipeline.yaml");
        if (!Files.isRegularFile(saved)) {
            throw new ConfigException("--resume: " + runDir + " is not a run directory (it has no pipeline.yaml)");
        }
        if (!Files.readString(saved).equals(Files.readString(spec.file()))) {
            throw new ConfigException(String.format("--resume: %s was run with a different pipeline file than %s; "
                    + "resume with the same file, or start a new run directory", saved, spec.file()));
        }
    }

    /** The outputs of a stage that finished in an earlier invocation of the run. */
    private static Optional<StageResult> finished(StageSpec stage, Path runDir) {
        Path dir = runDir.resolve(stage.name());
        if (!Files.isRegularFile(dir.resolve("metrics.json"))) {
            return Optional.empty();
        }
        Optional<Path> model = Optional.of(dir.resolve("model")).filter(p -> Files.isRegularFile(p.resolve("config.json")));
        Optional<Path> adapter = Optional.of(dir.resolve("adapter"))
                .filter(io.finetune4j.runtime.io.PeftAdapterDirectory::isAdapterDirectory);
        return Optional.of(new StageResult(stage.name(), stage.method().id(), dir, model, adapter));
    }

    private Path defaultRunDir(PipelineSpec spec) {
        return Path.of("runs", spec.name() + "-" + STAMP.format(LocalDateTime.now(clock)));
    }
}
