package io.finetune4j.runtime.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.StepInfo;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Trainer#fit} call: the step loop and its state. Scopes: the optimizer state lives in
 * {@code state} (closed by the trainer after the run); each micro-batch gets a sub-manager of it, closed
 * right after its backward; the gradient handles of one update live in another sub-manager, closed after
 * the update.
 */
final class TrainingRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

    private final TrainingConfig config;
    private final String stage;
    private final ProgressListener progress;
    private final MetricsSink sink;
    private final Method method;
    private final Objective objective;
    private final List<String> names;
    private final List<NDArray> parameters;
    private final AdamW optimizer;
    private final TrainingCheckpoints checkpoints;
    private final LearningRateSchedule schedule;
    private final BatchPlan plan;
    private final int totalSteps;
    private final NDManager state;
    private final DivergenceGuard divergence;
    /** The EWC penalty, estimated when the run starts; null without {@code training.ewc}. */
    private Ewc ewc;
    private LogWindow window;
    /** Whether the open divergence streak's skipped checkpoints have been reported. */
    private boolean skipReported;
    private long tokens;

    TrainingRun(TrainingConfig config, String stage, ProgressListener progress, MetricsSink sink, Method method,
                Objective objective, List<String> names, List<NDArray> parameters, AdamW optimizer, int totalSteps,
                NDManager state, TrainingCheckpoints checkpoints) {
        this.names = names;
        this.checkpoints = checkpoints;
        this.config = config;
        this.stage = stage;
        this.progress = progress;
        this.sink = sink;
        this.method = method;
        this.objective = objective;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.totalSteps = totalSteps;
        this.state = state;
        this.schedule = LearningRateSchedule.of(config.lrSchedule(), config.warmupSteps(), totalSteps);
        this.divergence = new DivergenceGuard(config.divergence(), warning -> LOG.warn("{}", warning));
        this.plan = new BatchPlan(objective.exampleCount(), config.batchSize(), config.gradientAccumulationSteps(),
                config.seed());
    }

    TrainingSummary run() {
        long start = System.nanoTime();
        window = new LogWindow(start);
        List<Double> stepLosses = new ArrayList<>(totalSteps);
        List<StepLog> logs = new ArrayList<>();
        int first = 1;
        if (config.ewc().enabled()) {
            // Before a checkpoint is restored: θ0 is where the method starts, which its seeded setup reproduces.
            ewc = Ewc.estimate(config.ewc(), objective, parameters, config.seed(), state);
        }
        Optional<Path> resumeFrom = checkpoints == null ? Optional.empty() : checkpoints.resumeFrom();
        if (resumeFrom.isPresent()) {
            Path checkpoint = resumeFrom.get();
            try (NDManager scope = state.newSubManager()) {
                first = TrainingCheckpoints.restore(checkpoint, totalSteps, names, parameters, optimizer, scope) + 1;
            }
            // The example order is a function of the seed: replay it up to the checkpoint.
            for (int skipped = 1; skipped < first; skipped++) {
                plan.nextStep();
            }
        }
        progress.start(stage, totalSteps);
        if (first > 1) {
            progress.advance(first - 1, String.format(Locale.ROOT, "resumed from step %d", first - 1));
        }
        try {
            for (int step = first; step <= totalSteps; step++) {
                double learningRate = schedule.learningRate(config.learningRate(), step);
                skipReported &= divergence.suspect();
                StepInfo info = new StepInfo(step, totalSteps);
                StepOutcome outcome = trainStep(info, plan.nextStep(), learningRate);
                stepLosses.add(outcome.loss());
                divergence.observe(step, outcome.loss(), outcome.gradNorm(), prefix(step));
                progress.advance(1, String.format(Locale.ROOT, "loss=%.4f lr=%.2e", outcome.loss(), learningRate));
                if (step % config.loggingSteps() == 0 || step == totalSteps) {
                    Map<String, Double> values =
                            window.drain(learningRate, outcome.gradNorm(), plan.epochProgress(), System.nanoTime());
                    sink.record(stage, step, values);
                    logs.add(new StepLog(step, values));
                }
                boolean suspect = divergence.suspect();
                if (checkpoints != null && checkpoints.dueAt(step, totalSteps) && suspect) {
                    if (!skipReported) {
                        LOG.warn("{}no checkpoints while the loss or gradient looks diverged "
                                + "(training.divergence); the last one is kept", prefix(step));
                        skipReported = true;
                    }
                } else if (checkpoints != null && checkpoints.dueAt(step, totalSteps)) {
                    checkpoints.save(step, totalSteps, config.seed(), names, parameters, optimizer);
                }
            }
        } finally {
            progress.finish();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new TrainingSummary(stage, totalSteps, stepLosses, logs, tokens, seconds);
    }

    /** One optimizer step's loss (mean over its micro-batches) and gradient norm before clipping. */
    private record StepOutcome(double loss, double gradNorm) {}

    private StepOutcome trainStep(StepInfo info, List<List<Integer>> microBatches, double learningRate) {
        zeroGradients();
        double loss = forwardBackward(info.step(), microBatches);
        method.afterBackward(info);
        double norm;
        try (NDManager scope = state.newSubManager()) {
            List<NDArray> gradients = new ArrayList<>(parameters.size());
            for (NDArray parameter : parameters) {
                NDArray gradient = parameter.getGradient(); // a new handle, made in the parameter's manager
                gradient.attach(scope);
                gradients.add(gradient);
            }
            norm = GradientClipping.globalNorm(gradients);
            if (!Double.isFinite(norm)) {
                throw failure(info.step(), "gradient norm is " + norm);
            }
            optimizer.step(gradients, learningRate, GradientClipping.coefficient(norm, config.maxGradNorm()));
        }
        method.afterStep(info);
        return new StepOutcome(loss, norm);
    }

    /**
     * Per parameter rather than {@code GradientCollector.zeroGradients()}, which walks every array of the
     * system manager (and leaks a gradient handle per array). x − x leaves NaN entries NaN; a NaN
     * gradient then fails the norm check instead of training on silently.
     */
    private void zeroGradients() {
        for (NDArray parameter : parameters) {
            try (NDArray gradient = parameter.getGradient()) {
                gradient.subi(gradient);
            }
        }
    }

    /** Forward and backward of every micro-batch under one collector; returns their mean loss. */
    private double forwardBackward(int step, List<List<Integer>> microBatches) {
        double lossSum = 0;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            for (int i = 0; i < microBatches.size(); i++) {
                try (NDManager scope = state.newSubManager();
                     BackwardTape tape = config.gradientCheckpointing() ? BackwardTape.open() : null) {
                    lossSum += microBatch(collector, step, i, microBatches, scope);
                }
            }
        }
        return lossSum / microBatches.size();
    }

    private double microBatch(GradientCollector collector, int step, int index, List<List<Integer>> microBatches,
                              NDManager scope) {
        ObjectiveStep result = compute(step, microBatches.get(index), scope);
        NDArray loss = result.loss();
        if (loss.size() != 1) {
            throw failure(step, "the objective's loss has shape " + loss.getShape() + ", expected a scalar");
        }
        NDArray total = objective.addsMethodRegularization()
                ? method.regularizationLoss(scope).map(loss::add).orElse(loss) : loss;
        Map<String, Double> metrics = result.metrics();
        if (ewc != null) {
            NDArray penalty = ewc.penalty(scope);
            total = total.add(penalty);
            metrics = new LinkedHashMap<>(metrics);
            metrics.put("ewc_penalty", (double) penalty.getFloat());
        }
        double value = total.getFloat();
        if (!Double.isFinite(value)) {
            String where = microBatches.size() == 1 ? ""
                    : String.format(Locale.ROOT, " (micro-batch %d of %d)", index + 1, microBatches.size());
            throw failure(step, "loss is " + value + where);
        }
        // Mean over the step's micro-batches. The factor is an array, never mul(Number): autograd keeps
        // the scalar for backward and a Java-owned one can be freed by the GC first (STACK.md).
        NDArray scaled = microBatches.size() == 1 ? total
                : total.mul(scope.create(1f / microBatches.size()));
        collector.backward(scaled);
        BackwardTape.current().ifPresent(BackwardTape::drain);    // checkpointed layers, latest first
        window.add(value, result.tokens(), metrics);
        tokens += result.tokens();
        return value;
    }

    private ObjectiveStep compute(int step, List<Integer> indices, NDManager scope) {
        try {
            return objective.compute(indices, scope);
        } catch (ConfigException | TrainingException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TrainingException(prefix(step) + "the objective failed: " + e, e);
        }
    }

    private TrainingException failure(int step, String what) {
        return new TrainingException(prefix(step) + what);
    }

    private String prefix(int step) {
        return String.format(Locale.ROOT, "stage '%s', step %d of %d: ", stage, step, totalSteps);
    }
}
