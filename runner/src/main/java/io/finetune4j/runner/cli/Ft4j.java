package io.finetune4j.runner.cli;

import static java.util.Objects.requireNonNull;

import io.finetune4j.bench.BenchPlugins;
import io.finetune4j.runner.config.PipelineValidation;
import io.finetune4j.runner.inspect.DataInspection;
import io.finetune4j.runner.eval.EvalService;
import io.finetune4j.runner.model.GenerationService;
import io.finetune4j.runner.model.MergeService;
import io.finetune4j.runner.model.ScoringService;
import io.finetune4j.runner.model.ExportService;
import io.finetune4j.runner.model.ParityService;
import io.finetune4j.runner.pipeline.PipelineRunner;
import io.finetune4j.runner.plugin.LoadedPlugins;
import io.finetune4j.runner.plugin.RegistryBenchPlugins;
import io.finetune4j.runner.review.ReviewService;
import jakarta.inject.Inject;

/** The one object {@link Main} asks the injector for: what each command calls. */
public final class Ft4j {
    private final PipelineRunner pipelines;
    private final GenerationService generation;
    private final ScoringService scoring;
    private final PluginTable plugins;
    private final EvalService evaluation;
    private final MergeService merging;
    private final RegistryBenchPlugins bench;
    private final LoadedPlugins registry;
    private final PipelineValidation validation;
    private final DataInspection inspection;
    private final ExportService exporting;
    private final ParityService parity;
    private final ReviewService review;

    @Inject
    public Ft4j(PipelineRunner pipelines, GenerationService generation, ScoringService scoring, PluginTable plugins,
                EvalService evaluation, MergeService merging, RegistryBenchPlugins bench, LoadedPlugins registry,
                PipelineValidation validation, DataInspection inspection, ExportService exporting,
                ParityService parity, ReviewService review) {
        this.review = requireNonNull(review, "review is null");
        this.validation = requireNonNull(validation, "validation is null");
        this.inspection = requireNonNull(inspection, "inspection is null");
        this.exporting = requireNonNull(exporting, "exporting is null");
        this.parity = requireNonNull(parity, "parity is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.bench = requireNonNull(bench, "bench is null");
        this.merging = requireNonNull(merging, "merging is null");
        this.pipelines = requireNonNull(pipelines, "pipelines is null");
        this.generation = requireNonNull(generation, "generation is null");
        this.scoring = requireNonNull(scoring, "scoring is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.evaluation = requireNonNull(evaluation, "evaluation is null");
    }

    /** {@code ft4j validate}. */
    public PipelineValidation validation() {
        return validation;
    }

    /** {@code ft4j inspect-data}. */
    public DataInspection inspection() {
        return inspection;
    }

    public PipelineRunner pipelines() {
        return pipelines;
    }

    public GenerationService generation() {
        return generation;
    }

    public ScoringService scoring() {
        return scoring;
    }

    public PluginTable plugins() {
        return plugins;
    }

    public EvalService evaluation() {
        return evaluation;
    }

    public MergeService merging() {
        return merging;
    }

    /** {@code ft4j export}. */
    public ExportService exporting() {
        return exporting;
    }

    /** {@code ft4j parity}. */
    public ParityService parity() {
        return parity;
    }

    /** {@code ft4j review}. */
    public ReviewService review() {
        return review;
    }

    /** Every provider found at start-up: the one discovery path ({@code ft4j metrics} picks its evaluators here). */
    public LoadedPlugins registry() {
        return registry;
    }

    /** The plugin registry as the bench subcommands use it. */
    public BenchPlugins bench() {
        return bench;
    }
}
