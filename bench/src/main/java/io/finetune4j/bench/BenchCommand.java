package io.finetune4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigProblems;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ft4j bench}: LoRA training throughput on a random GPT-2-shaped model, with MFU against this
 * machine's fp32 matmul peak measured in the same process. {@code bench/pytorch_baseline.py} runs the
 * same step in PyTorch for comparison; {@link BenchShape} states the FLOP count both use.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training speed (tokens/s, step time, MFU) of LoRA or another method on a random "
                + "GPT-2-shaped model.")
public final class BenchCommand implements BenchAction, Callable<Integer> {
    private final BenchPlugins plugins;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelShapeOptions shape;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    private int seq;

    @Option(names = "--batch", defaultValue = "4", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank on c_attn; alpha is 8 (default: ${DEFAULT-VALUE}).")
    private int rank;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--matmul-size", defaultValue = "2048", description = "Side of the peak matmul (default: ${DEFAULT-VALUE}).")
    private int matmulSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and data (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--method", defaultValue = "lora",
            description = "Adaptation method id (default: ${DEFAULT-VALUE}: r=--rank, alpha 8 on c_attn).")
    private String method;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A method setting; VALUE is YAML (e.g. --set target_modules=[c_attn]). Repeatable.")
    private Map<String, String> sets = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print one JSON object instead of the report.")
    private boolean json;

    @Option(names = "--model-config", paramLabel = "config.json",
            description = "Benchmark this Hugging Face config's architecture and shape with random weights (Llama "
                    + "family or GPT-2) instead of the GPT-2 bench shape; LoRA defaults to r 16, alpha 32 on all-linear. "
                    + "Reports peak RSS. --rank and the shape options do not apply.")
    private Path modelConfig;

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each decoder layer in the backward pass (training.gradient_checkpointing).")
    private boolean gradientCheckpointing;

    /** For picocli: {@code ft4j} passes its plugin registry to {@link #run}. */
    public BenchCommand() {
        this(null);
    }

    /** Runs with {@code plugins} when called as a {@link Callable} (tests, embedding). */
    public BenchCommand(BenchPlugins plugins) {
        this.plugins = plugins;
    }

    @Override
    public Integer call() {
        return run(plugins);
    }

    @Override
    public int run(BenchPlugins plugins) {
        ConfigProblems problems = ConfigProblems.at("");
        shape.check(problems);
        ModelShapeOptions.positive(problems, "--batch", batch);
        ModelShapeOptions.positive(problems, "--rank", rank);
        ModelShapeOptions.positive(problems, "--steps", steps);
        ModelShapeOptions.positive(problems, "--matmul-size", matmulSize);
        problems.check(seq >= 2, "--seq", "must be >= 2 (the last position has no label), was %d", seq);
        problems.check(warmup >= 0, "--warmup", "must be >= 0, was %d", warmup);
        problems.throwIfAny();

        if (modelConfig != null) {
            Map<String, Object> result = ConfigBenchmark.run(plugins, modelConfig, seq, batch, method, sets,
                    gradientCheckpointing, steps, warmup, matmulSize, seed);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? toJson(result) : ConfigBenchmark.report(result));
            out.flush();
            return 0;
        }
        problems.check(!gradientCheckpointing, "--gradient-checkpointing", "applies with --model-config only");
        problems.throwIfAny();
        BenchShape benchShape = new BenchShape(shape.layers, shape.hidden, shape.heads, shape.vocab, seq, batch, rank);
        BenchResult result = LoraBenchmark.run(plugins, benchShape, method, sets, steps, warmup, matmulSize, seed);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(result));
        } else {
            report(out, result);
        }
        out.flush();
        return 0;
    }

    private static void report(PrintWriter out, BenchResult r) {
        BenchShape s = r.shape();
        out.printf(Locale.ROOT, "finetune4j bench: %s, fp32, CPU%n", r.engine());
        if (r.flopsApply()) {
            out.printf(Locale.ROOT, "shape: layers=%d hidden=%d heads=%d vocab=%d seq=%d batch=%d, LoRA r=%d alpha=%.0f "
                            + "on c_attn, %d trainable parameters%n", s.layers(), s.hidden(), s.heads(), s.vocab(),
                    s.seq(), s.batch(), s.rank(), LoraBenchmark.LORA_ALPHA, r.trainableParameters());
        } else {
            out.printf(Locale.ROOT, "shape: layers=%d hidden=%d heads=%d vocab=%d seq=%d batch=%d, method %s, %d trainable "
                            + "parameters%n", s.layers(), s.hidden(), s.heads(), s.vocab(), s.seq(), s.batch(),
                    r.method(), r.trainableParameters());
        }
        out.printf(Locale.ROOT, "memory: adapter + optimizer state %d bytes (4 x trainable x 3), base linear weights %s%n",
                r.adapterOptimizerBytes(), r.baseLinearBytes() == null ? "n/a (a base layer does not report its size)"
                        : r.baseLinearBytes() + " bytes");
        out.printf(Locale.ROOT, "step: %.1f ms (mean of %d after %d warm-up), %.0f tokens/s, loss %.4f -> %.4f%n",
                r.stepSeconds() * 1000, r.steps(), r.warmup(), r.tokensPerSecond(), r.firstLoss(), r.lastLoss());
        if (!r.flopsApply()) {
            out.printf(Locale.ROOT, "matmul peak %.1f GFLOP/s (%d^3 fp32, best of 5), MFU n/a (the FLOP formula "
                    + "describes the default LoRA on c_attn only)%n", r.matmulGflops(), r.matmulSize());
            return;
        }
        out.printf(Locale.ROOT, "FLOPs/step: %.2f GFLOP = %s (frozen-base LoRA: 2x forward + attention backward + "
                + "adapter work; matmuls only)%n", s.stepFlops() / 1e9, BenchShape.formula());
        out.printf(Locale.ROOT, "achieved %.1f GFLOP/s, matmul peak %.1f GFLOP/s (%d^3 fp32, best of 5), MFU %.1f%%%n",
                r.achievedGflops(), r.matmulGflops(), r.matmulSize(), 100 * r.mfu());
    }

    private static String toJson(BenchResult result) {
        return toJson(result.toJson());
    }

    private static String toJson(Map<String, Object> values) {
        try {
            return new ObjectMapper().writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the bench result as JSON", e);
        }
    }
}
