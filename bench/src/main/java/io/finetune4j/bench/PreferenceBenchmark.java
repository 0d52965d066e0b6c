package io.finetune4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * DPO against SFT on the same tokens: a random GPT-2-shaped model with the benchmark's LoRA on
 * {@code c_attn}, preference pairs of random lowercase text (byte-level tokens, one per character), and
 * the real {@code sft} and {@code dpo} objectives from the runner's plugin registry. A DPO step of {@code batch}
 * pairs sees exactly the tokens of an SFT step of {@code 2·batch} rows (prompt+chosen and
 * prompt+rejected), so the step-time ratio is the price of the preference loss and its reference pass.
 *
 * <p>Memory: the process's resident set ({@code VmRSS}) is read right before and after the DPO objective
 * is created, before anything is trained (freed activations would be reused and hide new allocations). With {@code reference: adapters-disabled} the objective adds no weights (the reference is
 * the policy with its LoRA bypassed); with a checkpoint reference it loads a second copy of the base.
 */
public final class PreferenceBenchmark {
    /** How the DPO reference is provided. */
    public enum Reference { ADAPTERS_DISABLED, CHECKPOINT }

    /** The results; times in seconds, memory in bytes. */
    public record Result(BenchShape shape, int pairs, int steps, int warmup, Reference reference,
                         double sftStepSeconds, double dpoStepSeconds, long tokensPerStep, long baseWeightBytes,
                         long rssBeforeObjective, long rssAfterObjective, long rssPeak,
                         double dpoFirstLoss, double dpoLastLoss, String engine) {
        public double dpoOverSft() {
            return dpoStepSeconds / sftStepSeconds;
        }

        public long objectiveRssBytes() {
            return rssAfterObjective - rssBeforeObjective;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("layers", shape.layers());
            json.put("hidden", shape.hidden());
            json.put("seq", shape.seq());
            json.put("pairs_per_step", pairs);
            json.put("reference", reference.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            json.put("steps", steps);
            json.put("warmup", warmup);
            json.put("tokens_per_step", tokensPerStep);
            json.put("sft_step_seconds", sftStepSeconds);
            json.put("dpo_step_seconds", dpoStepSeconds);
            json.put("dpo_over_sft", dpoOverSft());
            json.put("sft_tokens_per_second", tokensPerStep / sftStepSeconds);
            json.put("dpo_tokens_per_second", tokensPerStep / dpoStepSeconds);
            json.put("base_weight_bytes", baseWeightBytes);
            json.put("rss_before_objective", rssBeforeObjective);
            json.put("rss_after_objective", rssAfterObjective);
            json.put("objective_rss_bytes", objectiveRssBytes());
            json.put("rss_peak", rssPeak);
            json.put("dpo_first_loss", dpoFirstLoss);
            json.put("dpo_last_loss", dpoLastLoss);
            json.put("engine", engine);
            return json;
        }
    }

    private PreferenceBenchmark() {}

    /**
     * @param shape model shape; {@code seq} is the length of prompt + completion, a quarter of it prompt
     * @param pairs preference pairs per DPO step (SFT steps take twice as many rows)
     */
    public static Result run(BenchPlugins plugins, BenchShape shape, int pairs, int steps, int warmup, Reference reference, long seed) {
        int totalSteps = warmup + steps;
        Path work = tempDir();
        try {
            Path tokDir = Files.createDirectories(work.resolve("tokenizer"));
            TokenizerFiles.writeByteLevel(tokDir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", null);
            int promptChars = shape.seq() / 4;
            int completionChars = shape.seq() - promptChars - 2;  // BOS before the prompt, EOS after the answer
            List<Example.Preference> rows = rows(pairs * totalSteps, promptChars, completionChars, seed);
            List<Example> sftRows = new ArrayList<>();
            for (Example.Preference row : rows) {
                sftRows.add(new Example.PromptCompletion(row.prompt(), row.chosen(), row.source()));
                sftRows.add(new Example.PromptCompletion(row.prompt(), row.rejected(), row.source()));
            }
            try (HfTokenizer tokenizer = HfTokenizer.load(tokDir);
                 CausalLM model = ModelFactory.random(ModelFactory.gpt2Config(shape.vocab(), shape.hidden(),
                         shape.layers(), shape.heads(), shape.seq()), tokenizer, tokDir, seed, Device.cpu())) {
                long baseBytes = model.parameters().values().stream().mapToLong(a -> 4L * a.size()).sum();
                Map<String, Object> dpoSettings = new LinkedHashMap<>();
                if (reference == Reference.CHECKPOINT) {
                    Path copy = work.resolve("reference");
                    ModelLoader.save(model, copy);
                    dpoSettings.put("reference", copy.toString());
                }
                Method lora = LoraBenchmark.applyLora(plugins, model, shape.rank(), seed);
                TrainingConfig config = new TrainingConfig(1, totalSteps, 2 * pairs, 1, LoraBenchmark.LEARNING_RATE,
                        0.0, 0.9, 0.999, 1e-8, 0, "constant", 0.0, totalSteps, seed);
                long rssBefore = Rss.current();
                Objective dpo = objective(plugins, model, "dpo", dpoSettings, new Dataset("dpo-bench", new ArrayList<>(rows)),
                        shape.seq(), seed);
                long rssAfter = Rss.current();
                // SFT is timed after the DPO objective exists: its activations, once freed, would otherwise be
                // reused by the reference's weights and hide them from the resident-set measurement.
                double sftSeconds = time(plugins, model, lora, "sft", Map.of("completion_only_loss", true),
                        new Dataset("sft-bench", sftRows), shape.seq(), config, warmup, totalSteps, seed);

                TrainingConfig dpoConfig = new TrainingConfig(1, totalSteps, pairs, 1, LoraBenchmark.LEARNING_RATE,
                        0.0, 0.9, 0.999, 1e-8, 0, "constant", 0.0, totalSteps, seed);
                StepTimer timer = new StepTimer(totalSteps);
                var summary = new Trainer(dpoConfig, timer, (stage, step, values) -> { }, "bench-dpo").fit(lora, dpo);
                dpo.save(work.resolve("dpo-stage"));  // closes a checkpoint reference
                List<Double> losses = summary.stepLosses();
                long tokensPerStep = 2L * pairs * (promptChars + completionChars + 2);
                return new Result(shape, pairs, steps, warmup, reference, sftSeconds,
                        timer.meanSeconds(warmup, totalSteps), tokensPerStep, baseBytes, rssBefore, rssAfter,
                        Rss.peak(), losses.get(0), losses.get(losses.size() - 1),
                        "DJL " + Engine.getDjlVersion() + " " + Engine.getInstance().getEngineName() + " "
                                + Engine.getInstance().getVersion());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(work);
        }
    }

    /** Mean seconds per timed step of {@code objectiveId} trained with {@code method}. */
    private static double time(BenchPlugins plugins, CausalLM model, Method method, String objectiveId, Map<String, Object> settings,
                              Dataset data, int maxLength, TrainingConfig config, int warmup, int totalSteps,
                              long seed) {
        Objective objective = objective(plugins, model, objectiveId, settings, data, maxLength, seed);
        StepTimer timer = new StepTimer(totalSteps);
        new Trainer(config, timer, (stage, step, values) -> { }, "bench-" + objectiveId).fit(method, objective);
        return timer.meanSeconds(warmup, totalSteps);
    }

    /** Random lowercase text; chosen and rejected differ everywhere, both the same length. */
    static List<Example.Preference> rows(int count, int promptChars, int completionChars, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Example.Preference> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(new Example.Preference(letters(random, promptChars), letters(random, completionChars),
                    letters(random, completionChars), new Source("bench", i + 1)));
        }
        return rows;
    }

    private static String letters(SplittableRandom random, int n) {
        StringBuilder text = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            text.append((char) ('a' + random.nextInt(26)));
        }
        return text.toString();
    }

    private static Objective objective(BenchPlugins plugins, CausalLM model, String id, Map<String, Object> settings,
                                       Dataset data, int maxLength, long seed) {
        ObjectNode values = new ObjectMapper().valueToTree(settings);
        ObjectiveContext context = new ObjectiveContext() {
            @Override public CausalLM policy() { return model; }

            @Override public List<Dataset> trainData() { return List.of(data); }

            @Override public int maxLength() { return maxLength; }

            @Override public long seed() { return seed; }

            @Override public ai.djl.ndarray.NDManager manager() { return model.manager(); }

            @Override public ModelSource models() { return CheckpointModelSource.INSTANCE; }
        };
        return plugins.objective(id, values, "bench." + id, context).orElseThrow(() ->
                new ConfigException("bench-dpo: no '" + id + "' objective provider on the class path"));
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("ft4j-bench-dpo");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is not worth failing a benchmark over.
        }
    }

    /** Resident memory of this process from {@code /proc/self/status}; -1 where there is none. */
    static final class Rss {
        private Rss() {}

        static long current() {
            return read("VmRSS:");
        }

        static long peak() {
            return read("VmHWM:");
        }

        private static long read(String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(key)) {
                        return 1024L * Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            return -1;
        }
    }
}
