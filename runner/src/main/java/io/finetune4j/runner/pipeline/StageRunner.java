package io.finetune4j.runner.pipeline;

import static java.util.Objects.requireNonNull;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.runner.model.ParityService;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.config.BaseSpec;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.PipelinePaths;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.eval.EvaluationLoop;
import io.finetune4j.runner.eval.MeasuredEvaluation;
import io.finetune4j.runner.eval.MetricLines;
import io.finetune4j.runner.model.ModelHandle;
import io.finetune4j.runner.model.ModelStore;
import io.finetune4j.runner.model.RunnerMethodContext;
import io.finetune4j.runner.report.MetricRows;
import io.finetune4j.runner.report.PairedBootstrap;
import io.finetune4j.runner.report.SampleGeneration;
import io.finetune4j.runner.report.SampleGenerations;
import io.finetune4j.runner.report.StageOutcome;
import io.finetune4j.runner.tensorboard.TensorBoardLog;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.train.MetricsSink;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingCheckpoints;
import io.finetune4j.runtime.train.TrainingSummary;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Runs one stage: loads its base model, evaluates it ({@code before}), applies the method, trains with
 * the objective, evaluates again ({@code after}) and writes the stage directory: {@code adapter/}
 * (PEFT layout) for adapter methods, {@code model/} (merged, or fully fine-tuned) when there is one,
 * {@code metrics.json} and {@code stage.yaml}; with {@code output.parity}, the merged checkpoint is read back and
 * compared with the adapted model (see {@link ParityService}), and the stage fails beyond the tolerance. The
 * model and every manager are closed when it ends.
 * A few sample generations are made before and after training, and the stage's {@link StageOutcome} goes to
 * the run's report.
 */
public final class StageRunner {
    private final ModelStore models;
    private final EvaluationLoop evaluations;
    private final PairedBootstrap paired;
    private final ProgressListener progress;
    private final StageFiles files;
    private final Console console;

    @Inject
    public StageRunner(ModelStore models, EvaluationLoop evaluations, ProgressListener progress, StageFiles files,
                       Console console) {
        this.models = requireNonNull(models, "models is null");
        this.evaluations = requireNonNull(evaluations, "evaluations is null");
        this.paired = new PairedBootstrap(evaluations.bootstrap().resamples(), evaluations.bootstrap().confidence());
        this.progress = requireNonNull(progress, "progress is null");
        this.files = requireNonNull(files, "files is null");
        this.console = requireNonNull(console, "console is null");
    }

    /**
     * Runs {@code stage} after {@code previous} (the stage before it, if any), logging its training steps to
     * {@code log} and {@code board} (its evaluations too, at step 0 before training and at the final step after),
     * and returns its outcome for the run's report (also saved in the stage directory, before the
     * {@code metrics.json} that marks the stage finished); with {@code resume}, training continues from the
     * latest checkpoint in the stage's {@code checkpoints/} when there is one.
     */
    public StageOutcome run(StageSpec stage, Path runDir, Optional<StageResult> previous, MetricsLog log,
                            TensorBoardLog board, boolean resume) {
        Path stageDir = runDir.resolve(stage.name());
        long seed = stage.training().seed();
        PipelinePaths paths = new PipelinePaths(stage.pipelineDir(), runDir);
        Path base = basePath(stage, runDir, previous);
        console.status(String.format(Locale.ROOT, "stage %s: method %s, objective %s, base %s%s",
                stage.name(), stage.method().id(), stage.objective().id(),
                stage.base() instanceof BaseSpec.RandomInit ? "random weights of " : "", base));
        try (ModelHandle handle = load(stage, base, seed)) {
            CausalLM model = handle.model();
            // Measured before the method touches the model, so "before" is the base model itself.
            List<MeasuredEvaluation> before = evaluations.run(planned(stage, EvaluatorSpec.When.BEFORE), model,
                    stage.maxLength(), seed, paths::resolve);
            board.evaluations(stage.name(), 0, MeasuredEvaluation.results(before));
            List<String> prompts = SampleGenerations.prompts(stage);
            List<SampleGeneration> baseSamples = SampleGenerations.generate(model, prompts);
            Method method = PluginCalls.createMethod(stage.method(), new RunnerMethodContext(model, seed));
            boolean merge = merge(stage, method);
            if (stage.parity().isPresent() && !merge) {
                throw new ConfigException(String.format("%s.output.parity: method '%s' saves no merged checkpoint "
                        + "to compare with the adapted model; leave parity out", stage.path(), stage.method().id()));
            }
            long trainable = method.trainableParameterCount();
            console.status(String.format(Locale.ROOT, "trainable parameters: %,d of %,d (%.3f%%)", trainable,
                    model.parameterCount(), 100.0 * trainable / Math.max(1, model.parameterCount())));
            TrainingSummary summary;
            List<MeasuredEvaluation> after;
            List<SampleGeneration> trainedSamples;
            Optional<ParityService.Row> parity;
            try (NDManager objectiveManager = model.manager().newSubManager();
                 RewardHolder reward = RewardHolder.create(stage, model, paths)) {
                Objective objective = PluginCalls.createObjective(stage.objective(), new RunnerObjectiveContext(
                        model, stage.trainData(), stage.maxLength(), seed, objectiveManager, reward.function(), paths));
                try {
                    TrainingCheckpoints checkpoints = new TrainingCheckpoints(stageDir.resolve("checkpoints"),
                            stage.training().saveSteps(), stage.training().saveTotalLimit(), resume);
                    checkpoints.resumeFrom().ifPresent(dir -> console.status("stage " + stage.name()
                            + ": resuming from " + dir));
                    int resumedStep = checkpoints.resumeFrom().map(StageRunner::step).orElse(0);
                    log.startStage(stage.name(), resumedStep);
                    board.startStage(stage.name(), resumedStep);
                    MetricsSink both = (name, step, values) -> {
                        log.record(name, step, values);
                        board.record(name, step, values);
                    };
                    summary = new Trainer(stage.training(), progress, both, stage.name())
                            .fit(method, objective, checkpoints);
                } finally {
                    progress.finish();
                }
                after = evaluations.run(planned(stage, EvaluatorSpec.When.AFTER), model, stage.maxLength(), seed,
                        paths::resolve);
                board.evaluations(stage.name(), summary.steps(), MeasuredEvaluation.results(after));
                trainedSamples = SampleGenerations.generate(model, prompts);
                parity = save(stage, stageDir, model, method, merge, base);
                objective.save(stageDir);
            }
            StageOutcome outcome = new StageOutcome(stage, new StageOutcome.Training(summary.steps(),
                    summary.finalLoss(), summary.tokens(), summary.seconds()),
                    MetricRows.of(stage, before, after, paired), baseSamples, trainedSamples);
            outcome.save(stageDir);
            files.writeStageYaml(stageDir.resolve("stage.yaml"), stage, base, merge);
            // Last: its presence marks the stage finished for a later --resume.
            files.writeMetrics(stageDir.resolve("metrics.json"), stage, summary, evaluations.bootstrap(), seed,
                    MeasuredEvaluation.results(before), MeasuredEvaluation.results(after),
                    parity.map(row -> new StageFiles.Parity(row, stage.parity().orElseThrow())));
            console.status(String.format(Locale.ROOT, "stage %s: %d step(s), final loss %.4f, saved to %s",
                    stage.name(), summary.steps(), summary.finalLoss(), stageDir));
            MetricLines.lines(MeasuredEvaluation.results(before), MeasuredEvaluation.results(after))
                    .forEach(console::result);
            return outcome;
        }
    }

    private static Path basePath(StageSpec stage, Path runDir, Optional<StageResult> previous) {
        if (stage.base() instanceof BaseSpec.Checkpoint checkpoint) {
            return checkpoint.dir();
        }
        if (stage.base() instanceof BaseSpec.RandomInit init) {
            return init.config();
        }
        if (stage.base() instanceof BaseSpec.Stage earlier) {
            Path model = runDir.resolve(earlier.name()).resolve("model");
            if (!Files.isRegularFile(model.resolve("config.json"))) {
                throw new ConfigException(String.format("%s.base: 'stage:%s' needs the model that stage saved, but "
                        + "%s has none (it saved only an adapter)", stage.path(), earlier.name(), model));
            }
            return model;
        }
        StageResult before = previous.orElseThrow(() -> new IllegalStateException("no stage before " + stage.path()));
        return before.model().orElseThrow(() -> new ConfigException(String.format(
                "%s.base: 'previous' needs the model of stage '%s', but it saved only an adapter "
                        + "(method '%s' cannot be merged)", stage.path(), before.stage(), before.methodId())));
    }

    private ModelHandle load(StageSpec stage, Path base, long seed) {
        if (stage.base() instanceof BaseSpec.RandomInit init) {
            return models.random(init.config(), init.tokenizer(), seed);
        }
        return models.load(base, stage.tokenizer().orElse(null), stage.path() + ".base");
    }

    private static boolean merge(StageSpec stage, Method method) {
        if (!method.isAdapter()) {
            return false;
        }
        if (stage.merge().isEmpty()) {
            return method.canMerge();
        }
        if (stage.merge().get() && !method.canMerge()) {
            throw new ConfigException(String.format("%s.output.merge: method '%s' cannot be merged; "
                    + "set merge: false to save only its adapter", stage.path(), stage.method().id()));
        }
        return stage.merge().get();
    }

    /** The evaluators of {@code stage} that run at {@code when}, with their positions in the stage. */
    private static List<EvaluationLoop.Planned> planned(StageSpec stage, EvaluatorSpec.When when) {
        List<EvaluationLoop.Planned> planned = new ArrayList<>();
        for (int i = 0; i < stage.evaluators().size(); i++) {
            EvaluatorSpec spec = stage.evaluators().get(i);
            if (spec.when().contains(when)) {
                planned.add(new EvaluationLoop.Planned(i, spec.plugin().id(), spec.data(), spec.dataset(),
                        spec.evaluator()));
            }
        }
        return planned;
    }

    /** The step of a training checkpoint directory, {@code checkpoint-120} → 120. */
    private static int step(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        return Integer.parseInt(name.substring(TrainingCheckpoints.PREFIX.length()));
    }

    /** Saves the stage's adapter and/or model; returns the parity check's row when {@code output.parity} asks. */
    private Optional<ParityService.Row> save(StageSpec stage, Path stageDir, CausalLM model, Method method,
                                             boolean merge, Path base) {
        try {
            Files.createDirectories(stageDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create stage directory " + stageDir, e);
        }
        if (!method.isAdapter()) {
            models.save(model, stageDir.resolve("model"));
            return Optional.empty();
        }
        method.saveAdapter(stageDir.resolve("adapter"), base.toString());
        if (!merge) {
            return Optional.empty();
        }
        List<String> prompts = stage.parity().isPresent() ? SampleGenerations.parityPrompts(stage) : List.of();
        if (stage.parity().isPresent() && prompts.isEmpty()) {
            throw new ConfigException(String.format("%s.output.parity: the stage has no prompts to compare on "
                    + "(neither its evaluators' data nor its training rows have prompts or texts)", stage.path()));
        }
        // Measured before the merge: this is the adapted model, base + adapter, as training left it.
        Optional<ParityService.Measured> adapted = stage.parity().map(t -> ParityService.measure(model, prompts));
        method.mergeAndUnload();
        Path merged = stageDir.resolve("model");
        models.save(model, merged);
        return adapted.map(reference -> parity(stage, merged, prompts, reference));
    }

    /** Reads the merged checkpoint back and compares it with the adapted model; beyond tolerance fails the stage. */
    private ParityService.Row parity(StageSpec stage, Path merged, List<String> prompts,
                                     ParityService.Measured adapted) {
        double tolerance = stage.parity().orElseThrow();
        ParityService.Row row;
        try (ModelHandle back = models.load(merged, stage.tokenizer().orElse(null), stage.path() + ".output.parity")) {
            row = ParityService.row("merged", ParityService.measure(back.model(), prompts), adapted);
        }
        String numbers = String.format(Locale.ROOT, "max |Δ logit| %.3g against the adapted model (tolerance %.3g), "
                + "greedy agreement %.3f, perplexity %.4f, on %d prompt(s)", row.maxAbsLogitDifference(), tolerance,
                row.greedyAgreement(), row.perplexity(), prompts.size());
        if (!(row.maxAbsLogitDifference() <= tolerance)) {
            throw new TrainingException(String.format("stage %s: output.parity: the merged checkpoint %s differs from "
                    + "the adapted model beyond tolerance: %s", stage.name(), merged, numbers));
        }
        console.result(String.format("parity %s: merged checkpoint %s: %s", stage.name(), merged, numbers));
        return row;
    }

    /** The stage's reward function while it trains; closing releases what it loaded (a reward model). */
    private record RewardHolder(Optional<RewardFunction> function) implements AutoCloseable {
        static RewardHolder create(StageSpec stage, CausalLM model, PipelinePaths paths) {
            return new RewardHolder(stage.reward().map(choice -> PluginCalls.createReward(choice, new RewardContext() {
                @Override public TextTokenizer tokenizer() { return model.tokenizer(); }

                @Override public Device device() { return model.device(); }

                @Override public Path resolve(String path) { return paths.resolve(path); }

                @Override public ModelSource models() { return CheckpointModelSource.INSTANCE; }
            })));
        }

        @Override
        public void close() {
            function.ifPresent(RewardFunction::close);
        }
    }
}
