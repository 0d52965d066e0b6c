package io.finetune4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigProblems;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ft4j bench-dpo}: DPO step time and memory against SFT on the same tokens ({@link PreferenceBenchmark}). */
@Command(name = "bench-dpo", mixinStandardHelpOptions = true,
        description = "Measure DPO's step time against SFT on the same tokens, and the memory its reference takes.")
public final class PreferenceBenchCommand implements BenchAction, Callable<Integer> {
    private final BenchPlugins plugins;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelShapeOptions shape;

    @Option(names = "--seq", defaultValue = "256",
            description = "Tokens of prompt + completion, a quarter of it prompt (default: ${DEFAULT-VALUE}).")
    private int seq;

    @Option(names = "--pairs", defaultValue = "2",
            description = "Preference pairs per DPO step; SFT steps take twice as many rows (default: ${DEFAULT-VALUE}).")
    private int pairs;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank on c_attn (default: ${DEFAULT-VALUE}).")
    private int rank;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps of each objective (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--reference", defaultValue = "adapters-disabled",
            description = "DPO reference: adapters-disabled or checkpoint (a saved copy of the base) (default: ${DEFAULT-VALUE}).")
    private String reference;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and data (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--json", description = "Print one JSON object instead of the report.")
    private boolean json;

    /** For picocli: {@code ft4j} passes its plugin registry to {@link #run}. */
    public PreferenceBenchCommand() {
        this(null);
    }

    /** Runs with {@code plugins} when called as a {@link Callable} (tests, embedding). */
    public PreferenceBenchCommand(BenchPlugins plugins) {
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
        ModelShapeOptions.positive(problems, "--pairs", pairs);
        ModelShapeOptions.positive(problems, "--rank", rank);
        ModelShapeOptions.positive(problems, "--steps", steps);
        problems.check(seq >= 16, "--seq", "must be >= 16, was %d", seq);
        problems.check(warmup >= 0, "--warmup", "must be >= 0, was %d", warmup);
        problems.check(shape.vocab >= 258, "--vocab", "must be >= 258 (the byte-level tokenizer's size), was %d",
                shape.vocab);
        problems.check(reference.equals("adapters-disabled") || reference.equals("checkpoint"), "--reference",
                "expected adapters-disabled or checkpoint, was '%s'", reference);
        problems.throwIfAny();

        PreferenceBenchmark.Reference ref = reference.equals("checkpoint")
                ? PreferenceBenchmark.Reference.CHECKPOINT : PreferenceBenchmark.Reference.ADAPTERS_DISABLED;
        PreferenceBenchmark.Result r = PreferenceBenchmark.run(plugins, new BenchShape(shape.layers, shape.hidden, shape.heads, shape.vocab, seq, 1, rank),
                pairs, steps, warmup, ref, seed);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            try {
                out.println(new ObjectMapper().writeValueAsString(r.toJson()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the result as JSON", e);
            }
        } else {
            out.printf(Locale.ROOT, "finetune4j bench-dpo: %s, fp32, CPU%n", r.engine());
            out.printf(Locale.ROOT, "shape: layers=%d hidden=%d heads=%d vocab=%d, %d tokens per sequence, LoRA r=%d on "
                    + "c_attn; %d tokens per step (%d pairs = %d SFT rows)%n", shape.layers, shape.hidden, shape.heads,
                    shape.vocab, seq, rank,
                    r.tokensPerStep(), pairs, 2 * pairs);
            out.printf(Locale.ROOT, "sft: %.1f ms/step, %.0f tokens/s%n", 1000 * r.sftStepSeconds(),
                    r.tokensPerStep() / r.sftStepSeconds());
            out.printf(Locale.ROOT, "dpo (reference %s): %.1f ms/step, %.0f tokens/s, %.2fx SFT's step time; loss %.4f -> %.4f%n",
                    reference, 1000 * r.dpoStepSeconds(), r.tokensPerStep() / r.dpoStepSeconds(), r.dpoOverSft(),
                    r.dpoFirstLoss(), r.dpoLastLoss());
            out.printf(Locale.ROOT, "memory: base weights %.1f MB; creating the DPO objective added %.1f MB resident "
                    + "(%.2fx the base); peak resident %.1f MB%n", r.baseWeightBytes() / 1e6, r.objectiveRssBytes() / 1e6,
                    (double) r.objectiveRssBytes() / r.baseWeightBytes(), r.rssPeak() / 1e6);
        }
        out.flush();
        return 0;
    }
}
