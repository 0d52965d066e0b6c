package io.finetune4j.runner.pipeline;

import static java.util.Objects.requireNonNull;

import io.finetune4j.runner.Console;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.report.RunReportWriter;
import io.finetune4j.runner.report.StageReport;
import io.finetune4j.runtime.train.JsonlMetricsSink;
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
 * {@code metrics.jsonl} (every logged training step of every stage), one directory per stage and, at the
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

    /** Runs {@code file}; returns the run directory. */
    public Path run(Path file, Optional<Path> output) {
        PipelineSpec spec = parser.parse(file);
        Path runDir = output.orElseGet(() -> defaultRunDir(spec)).toAbsolutePath().normalize();
        try {
            Files.createDirectories(runDir);
            Files.copy(spec.file(), runDir.resolve("pipeline.yaml"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + runDir, e);
        }
        console.status(String.format("run %s: %d stage(s) in %s", spec.name(), spec.stages().size(), runDir));
        List<StageReport> reports = new ArrayList<>();
        Optional<String> failure = Optional.empty();
        RuntimeException thrown = null;
        try (JsonlMetricsSink sink = JsonlMetricsSink.create(runDir.resolve("metrics.jsonl"))) {
            Optional<StageResult> previous = Optional.empty();
            for (StageSpec stage : spec.stages()) {
                try {
                    previous = Optional.of(stages.run(stage, runDir, previous, sink, reports::add));
                } catch (RuntimeException e) {
                    failure = Optional.of(String.format("stage '%s' failed: %s", stage.name(),
                            e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                    thrown = e;
                    break;
                }
            }
        }
        // After the sink is closed, so the report reads every logged step; also when a stage failed, so the
        // finished stages' evaluations and curves are not lost.
        try {
            report.write(runDir, spec, reports, failure);
        } catch (RuntimeException e) {
            if (thrown == null) {
                throw e;
            }
            thrown.addSuppressed(e);
        }
        if (thrown != null) {
            console.result("report of the finished stages: " + runDir.resolve("report.html"));
            throw thrown;
        }
        console.result("report: " + runDir.resolve("report.html"));
        console.result("run directory: " + runDir);
        return runDir;
    }

    private Path defaultRunDir(PipelineSpec spec) {
        return Path.of("runs", spec.name() + "-" + STAMP.format(LocalDateTime.now(clock)));
    }
}
