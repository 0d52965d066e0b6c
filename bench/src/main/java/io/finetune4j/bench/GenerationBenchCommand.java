package io.finetune4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.model.ModelFactory;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ft4j bench-generate}: greedy generation throughput with the KV cache on a random GPT-2-shaped
 * model. Each run is one {@link Generator#generate} call (prefill of the prompt, then one token per step);
 * the model has no tokenizer, so no EOS can end a run early. {@code bench/pytorch_generate_baseline.py}
 * does the same in plain PyTorch.
 */
@Command(name = "bench-generate", mixinStandardHelpOptions = true,
        description = "Measure greedy generation speed with the KV cache (new tokens/s) on a random GPT-2-shaped model.")
public final class GenerationBenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelShapeOptions shape;

    @Option(names = "--prompt-length", defaultValue = "64", description = "Prompt tokens (default: ${DEFAULT-VALUE}).")
    private int promptLength;

    @Option(names = "--new-tokens", defaultValue = "128", description = "Tokens generated per run (default: ${DEFAULT-VALUE}).")
    private int newTokens;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights and prompt (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--json", description = "Print one JSON object instead of the report.")
    private boolean json;

    @Override
    public Integer call() {
        ConfigProblems problems = ConfigProblems.at("");
        shape.check(problems);
        ModelShapeOptions.positive(problems, "--prompt-length", promptLength);
        ModelShapeOptions.positive(problems, "--new-tokens", newTokens);
        ModelShapeOptions.positive(problems, "--runs", runs);
        problems.check(warmup >= 0, "--warmup", "must be >= 0, was %d", warmup);
        problems.throwIfAny();

        long[] prompt = new SplittableRandom(seed).longs(promptLength, 0, shape.vocab).toArray();
        GenerationConfig config = new GenerationConfig(newTokens, 0, 0, 1, seed);
        double[] seconds = new double[runs];
        String engine = "DJL " + Engine.getDjlVersion() + " " + Engine.getInstance().getEngineName() + " "
                + Engine.getInstance().getVersion();
        try (CausalLM model = ModelFactory.random(
                ModelFactory.gpt2Config(shape.vocab, shape.hidden, shape.layers, shape.heads, promptLength + newTokens), null, null, seed,
                Device.cpu())) {
            for (int run = 0; run < warmup + runs; run++) {
                long start = System.nanoTime();
                GenerationResult result = Generator.generate(model, prompt, config);
                long elapsed = System.nanoTime() - start;
                if (result.outputIds().length != newTokens) {
                    throw new IllegalStateException("generation stopped early (" + result.stopReason() + ") after "
                            + result.outputIds().length + " of " + newTokens + " tokens");
                }
                if (run >= warmup) {
                    seconds[run - warmup] = elapsed / 1e9;
                }
            }
        }
        double mean = 0;
        for (double s : seconds) {
            mean += s;
        }
        mean /= runs;
        double tokensPerSecond = newTokens / mean;
        double msPerToken = mean * 1000 / newTokens;

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode node = mapper.createObjectNode();
            node.put("engine", engine);
            node.put("new_tokens_per_second", tokensPerSecond);
            node.put("ms_per_token", msPerToken);
            node.put("prompt_length", promptLength);
            node.put("new_tokens", newTokens);
            node.put("runs", runs);
            node.put("warmup", warmup);
            ArrayNode runSeconds = node.putArray("run_seconds");
            for (double s : seconds) {
                runSeconds.add(s);
            }
            node.put("stop_reason", "length");
            ObjectNode shapeJson = node.putObject("shape");
            shapeJson.put("layers", shape.layers);
            shapeJson.put("hidden", shape.hidden);
            shapeJson.put("heads", shape.heads);
            shapeJson.put("vocab", shape.vocab);
            try {
                out.println(mapper.writeValueAsString(node));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the bench result as JSON", e);
            }
        } else {
            out.printf(Locale.ROOT, "finetune4j bench-generate: %s, fp32, CPU, greedy with KV cache%n", engine);
            out.printf(Locale.ROOT, "shape: layers=%d hidden=%d heads=%d vocab=%d, prompt %d tokens, %d new tokens%n",
                    shape.layers, shape.hidden, shape.heads, shape.vocab, promptLength, newTokens);
            out.printf(Locale.ROOT, "%.1f new tokens/s, %.2f ms/token (prefill + decode, mean of %d runs after %d "
                    + "warm-up)%n", tokensPerSecond, msPerToken, runs, warmup);
        }
        out.flush();
        return 0;
    }
}
