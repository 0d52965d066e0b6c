package io.finetune4j.runner.cli;

import io.finetune4j.runner.eval.EvalService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ft4j eval --model DIR [--adapter [NAME=]DIR]... [--active NAME | --combine NAME=W,...] [--no-adapter]
 * --evaluator ID --data FILE.jsonl [--set key=value]... [--json]
 * [--seed N]}: evaluators alone, on any checkpoint, without training.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run evaluators on a checkpoint (base, merged, or base + adapter) without training.")
public final class EvalCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
    Path model;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--evaluator", required = true, paramLabel = "ID",
            description = "Evaluator id (see ft4j plugins); repeat it with --data for several evaluations.")
    List<String> evaluators = new ArrayList<>();

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
            description = "Data of the evaluator given at the same position.")
    List<Path> data = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "An evaluator setting, as in a pipeline file (batch_size=4, labels=[positive, negative]).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "512",
            description = "Longest tokenized sequence the evaluators use (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Evaluation and bootstrap seed (default: ${DEFAULT-VALUE}, a pipeline's default).")
    long seed;

    @Option(names = "--json", description = "Print {\"evaluator\": id, \"data\": file, \"metrics\": {name: "
            + "{\"value\": x, \"ci_low\": a, \"ci_high\": b, \"n\": k}}}, one line per evaluator.")
    boolean json;

    @Override
    public int run(Ft4j app) {
        app.evaluation().evaluate(new EvalService.Request(model, adapters.selection(), evaluators, data,
                settings, maxLength, seed, json));
        return 0;
    }
}
