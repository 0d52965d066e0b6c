package io.finetune4j.runner.report;

import static java.util.Objects.requireNonNull;

import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.eval.BootstrapCi;
import io.finetune4j.runner.eval.EvaluationLoop;
import io.finetune4j.runner.eval.Numbers;
import io.finetune4j.runner.report.ReportDocument.Code;
import io.finetune4j.runner.report.ReportDocument.Heading;
import io.finetune4j.runner.report.ReportDocument.Headline;
import io.finetune4j.runner.report.ReportDocument.Images;
import io.finetune4j.runner.report.ReportDocument.Paragraph;
import io.finetune4j.runner.report.ReportDocument.Table;
import io.finetune4j.runner.report.ReportDocument.Tone;
import io.finetune4j.runtime.io.AtomicFiles;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a finished run's report into its directory: {@code report.md}, {@code report.html} (one page;
 * the charts are the PNGs in {@code charts/} beside it) and {@code eval.jsonl} (see {@link EvalLines}).
 * Per stage: a one-line verdict, training curves, the metrics with 95%
 * intervals before and after, paired deltas with p-values, the forgetting check (see {@link MetricRows}),
 * sample generations of the base and the trained model; then the pipeline file and every stage as
 * resolved, and the versions that ran it.
 */
public final class RunReportWriter {
    static final String CHARTS = "charts";
    /** Below this many examples a bootstrap p-value says little (n = 3 has only 10 distinct resamples). */
    static final int SMALL_SAMPLE = 10;

    private final PairedBootstrap paired;

    @Inject
    public RunReportWriter(EvaluationLoop evaluations) {
        BootstrapCi bootstrap = requireNonNull(evaluations, "evaluations is null").bootstrap();
        this.paired = new PairedBootstrap(bootstrap.resamples(), bootstrap.confidence());
    }

    /**
     * Writes the report of {@code spec}'s run in {@code runDir} from its stages' outcomes, in stage order, with
     * the training {@code curves} of the run. For a run that stopped, {@code failure} names the stage that failed
     * and why; the finished stages are reported as usual, so nothing they measured is lost.
     */
    public void write(Path runDir, PipelineSpec spec, List<StageOutcome> stages, TrainingCurves curves,
                      Optional<String> failure) {
        List<MetricRow> allRows = new ArrayList<>();
        Map<StageOutcome, List<MetricRow>> rows = new LinkedHashMap<>();
        for (StageOutcome stage : stages) {
            rows.put(stage, stage.rows());
            allRows.addAll(stage.rows());
        }
        StringBuilder evalLines = new StringBuilder();
        EvalLines.lines(allRows).forEach(line -> evalLines.append(line).append('\n'));
        write(runDir.resolve("eval.jsonl"), evalLines.toString());

        ReportDocument doc = new ReportDocument("Run report: " + spec.name());
        doc.add(new Paragraph(String.format(Locale.ROOT, "Pipeline %s, %d stage(s), run directory %s. Intervals are "
                + "95%% percentile bootstrap intervals over the evaluation examples (%d resamples); Δ is after − "
                + "before on the same examples, with a paired bootstrap interval and a two-sided p-value (Wilcoxon "
                + "signed-rank too for per-example means); \"better\" means p < 0.05 in the metric's better direction.",
                spec.file(), stages.size(), runDir, paired.resamples())));
        doc.add(new Heading(2, "Summary"));
        failure.ifPresent(text -> doc.add(new Headline(Tone.BAD, "run stopped: " + text)));
        stages.forEach(stage -> doc.add(headline(stage, rows.get(stage))));
        for (StageOutcome stage : stages) {
            stageSection(doc, runDir, stage, rows.get(stage), curves);
        }
        configuration(doc, runDir, stages);
        doc.add(new Heading(2, "Versions"));
        doc.add(new Table(List.of("component", "version"), Versions.current().entrySet().stream()
                .map(e -> List.of(e.getKey(), e.getValue())).toList()));
        write(runDir.resolve("report.md"), doc.markdown());
        write(runDir.resolve("report.html"), doc.html());
    }

    /** "sft: perplexity 41.2 → 12.3 (−70%, p<0.001)", PASS when it improved and forgot nothing. */
    static Headline headline(StageOutcome stage, List<MetricRow> rows) {
        List<String> parts = new ArrayList<>();
        boolean better = false;
        boolean betterGeneral = false;
        boolean anyTaskMetric = false;
        boolean worse = false;
        boolean forgot = false;
        for (MetricRow row : rows) {
            if (row.comparison().isEmpty() || row.before().isEmpty() || row.after().isEmpty()) {
                continue;
            }
            PairedComparison comparison = row.comparison().get();
            double before = row.before().get().value();
            double after = row.after().get().value();
            String change = Numbers.change(before, after, false);
            parts.add(String.format(Locale.ROOT, "%s%s %s → %s (%s%s)", row.forgettingCheck() ? "[general] " : "",
                    row.metric(), Numbers.number(before), Numbers.number(after),
                    change.isEmpty() ? "" : change + ", ", Numbers.p(comparison.pValue())));
            worse |= !row.forgettingCheck() && comparison.significantlyWorse();
            forgot |= row.forgettingCheck() && comparison.significantlyWorse();
            better |= !row.forgettingCheck() && comparison.significantlyBetter();
            betterGeneral |= row.forgettingCheck() && comparison.significantlyBetter();
            anyTaskMetric |= !row.forgettingCheck();
        }
        String name = stage.stage().name() + ": ";
        if (parts.isEmpty()) {
            StageOutcome.Training summary = stage.training();
            return new Headline(Tone.INFO, name + String.format(Locale.ROOT, "%d step(s), final loss %s; "
                    + "no metric measured both before and after", summary.steps(),
                    Numbers.number(summary.finalLoss())));
        }
        // A stage measured only on general text (pretraining) passes when that text got better.
        Tone tone = worse ? Tone.BAD
                : forgot ? (better ? Tone.WARN : Tone.BAD)
                : better || (!anyTaskMetric && betterGeneral) ? Tone.GOOD : Tone.NEUTRAL;
        return new Headline(tone, name + String.join("; ", parts));
    }

    private void stageSection(ReportDocument doc, Path runDir, StageOutcome stage, List<MetricRow> rows,
                              TrainingCurves curves) {
        StageOutcome.Training summary = stage.training();
        doc.add(new Heading(2, "Stage " + stage.stage().name()));
        doc.add(headline(stage, rows));
        doc.add(new Paragraph(String.format(Locale.ROOT, "Method %s, objective %s. Training: %d step(s), final loss "
                + "%s, %,d tokens in %.1f s.", stage.stage().method().id(), stage.stage().objective().id(),
                summary.steps(), Numbers.number(summary.finalLoss()), summary.tokens(), summary.seconds())));

        doc.add(new Heading(3, "Training curves"));
        Map<String, Path> charts = curves.draw(stage.stage().name(), runDir.resolve(CHARTS));
        if (charts.isEmpty()) {
            doc.add(new Paragraph("No training steps were logged."));
        } else {
            Map<String, String> images = new LinkedHashMap<>();
            charts.forEach((name, file) ->
                    images.put(CHARTS + "/" + file.getFileName(), stage.stage().name() + " " + name));
            doc.add(new Images(images));
        }

        doc.add(new Heading(3, "Metrics"));
        if (rows.isEmpty()) {
            doc.add(new Paragraph("The stage has no evaluators."));
        } else {
            doc.add(metricTable(rows));
        }

        doc.add(new Heading(3, "Forgetting check"));
        doc.add(new Paragraph(forgetting(rows)));

        doc.add(new Heading(3, "Sample generations"));
        if (stage.baseSamples().isEmpty()) {
            doc.add(new Paragraph("None: the stage's evaluation data has no rows with a prompt."));
        } else {
            List<List<String>> samples = new ArrayList<>();
            for (int i = 0; i < stage.baseSamples().size(); i++) {
                SampleGeneration base = stage.baseSamples().get(i);
                String trained = i < stage.trainedSamples().size()
                        ? ReportFormat.sample(stage.trainedSamples().get(i)) : "";
                samples.add(List.of(base.prompt(), ReportFormat.sample(base), trained));
            }
            doc.add(new Paragraph(String.format(Locale.ROOT, "Greedy, at most %d new tokens.",
                    SampleGenerations.MAX_NEW_TOKENS)));
            doc.add(new Table(List.of("prompt", "base model (before the stage)", "after " + stage.stage().name()),
                    samples));
        }
    }

    private static Table metricTable(List<MetricRow> rows) {
        List<List<String>> cells = new ArrayList<>();
        for (MetricRow row : rows) {
            String delta = "";
            String p = "";
            String wilcoxon = "";
            String verdict = "";
            if (row.comparison().isPresent()) {
                PairedComparison c = row.comparison().get();
                delta = Numbers.signed(c.delta()) + " [" + Numbers.signed(c.ciLow()) + ", "
                        + Numbers.signed(c.ciHigh()) + "]";
                p = Numbers.p(c.pValue());
                wilcoxon = Double.isNaN(c.wilcoxonPValue()) ? "" : Numbers.p(c.wilcoxonPValue());
                verdict = c.significantlyBetter() ? "better"
                        : c.significantlyWorse() ? "worse" : "no significant change";
                if (c.n() < SMALL_SAMPLE) {
                    verdict += " (only " + c.n() + " examples: the bootstrap cannot be trusted)";
                }
            }
            cells.add(List.of(row.evaluatorId(), String.valueOf(row.data().getFileName()),
                    row.metric() + (row.higherIsBetter() ? " (↑)" : " (↓)"),
                    row.before().map(Numbers::interval).orElse(""),
                    row.after().map(Numbers::interval).orElse(""), delta, p, wilcoxon, verdict));
        }
        return new Table(List.of("evaluator", "data", "metric", "before [95% CI]", "after [95% CI]",
                "Δ [95% CI]", "p (bootstrap)", "p (Wilcoxon)", "verdict"), cells);
    }

    private static String forgetting(List<MetricRow> rows) {
        List<MetricRow> checks = rows.stream().filter(MetricRow::forgettingCheck).toList();
        if (checks.isEmpty()) {
            return "Not checked: no evaluator of this stage reads a data file whose name contains \"general\" "
                    + "(the rule: such an evaluator measures what the model should keep; the stage forgot when the "
                    + "trained model is significantly worse on it, paired bootstrap p < 0.05).";
        }
        List<String> forgot = checks.stream().filter(MetricRow::forgot)
                .map(row -> row.metric() + " on " + row.data().getFileName()).toList();
        List<String> unpaired = checks.stream().filter(row -> row.comparison().isEmpty())
                .map(row -> row.metric() + " on " + row.data().getFileName()).toList();
        String text = forgot.isEmpty()
                ? "PASS: no significant loss on the general-ability evaluation(s)."
                : "FAIL: significantly worse after training on " + String.join(", ", forgot) + ".";
        if (!unpaired.isEmpty()) {
            text += " Not measured both before and after: " + String.join(", ", unpaired) + ".";
        }
        return text;
    }

    private static void configuration(ReportDocument doc, Path runDir, List<StageOutcome> stages) {
        doc.add(new Heading(2, "Configuration"));
        doc.add(new Paragraph("The pipeline file as given (pipeline.yaml in the run directory):"));
        doc.add(new Code("yaml", read(runDir.resolve("pipeline.yaml"))));
        for (StageOutcome stage : stages) {
            Path file = runDir.resolve(stage.stage().name()).resolve("stage.yaml");
            doc.add(new Paragraph("Stage " + stage.stage().name() + " as resolved (" + stage.stage().name()
                    + "/stage.yaml: absolute paths, every setting including defaults):"));
            doc.add(new Code("yaml", read(file)));
        }
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file) : "(missing: " + file + ")\n";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes beside the target and moves into place, so a crash never leaves half a file. */
    private static void write(Path file, String text) {
        AtomicFiles.writeAtomically(file, temp -> Files.writeString(temp, text));
    }
}
