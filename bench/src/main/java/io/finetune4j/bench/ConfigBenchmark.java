package io.finetune4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@code ft4j bench --model-config config.json}: the training step of any supported architecture at its real
 * shape, with random weights (the speed and memory of a step do not depend on their values): the method (by
 * default LoRA r 16, alpha 32, dropout 0 on every linear layer, as {@code bench/pytorch_llama_baseline.py}
 * trains it), the real {@link Trainer} with AdamW on random-token batches through the chunked head, optionally
 * with gradient checkpointing, then the process's peak RSS and the matmul peak.
 *
 * <p>FLOPs per step count matmuls only, without checkpointing's recomputation (model FLOPs): per token,
 * {@code 4·P_frozen} for frozen linear weights (forward and input gradient), {@code 6·P_trainable} for trained
 * ones, {@code 12·seq·d_attn} per layer for attention scores and values (forward and backward, full square as
 * both implementations compute it), and {@code 4·V·H} for a frozen head ({@code 6·V·H} trained).
 */
final class ConfigBenchmark {
    static final double LEARNING_RATE = 1e-4;
    static final int DEFAULT_RANK = 16;
    static final double DEFAULT_ALPHA = 32;

    private ConfigBenchmark() {}

    static Map<String, Object> run(BenchPlugins plugins, Path configFile, int seq, int batch, String methodId,
                                   Map<String, String> sets, boolean checkpointing, int steps, int warmup,
                                   int matmulSize, long seed) {
        ModelConfig config;
        try {
            config = ModelConfigJson.parse(Files.readString(configFile), configFile.toString());
        } catch (IOException e) {
            throw new ConfigException("--model-config: cannot read " + configFile + ": " + e.getMessage());
        }
        if (config.maxPositionEmbeddings() > 0 && seq > config.maxPositionEmbeddings()) {
            throw new ConfigException(String.format("--seq: %d is more than %s's max_position_embeddings %d", seq,
                    configFile, config.maxPositionEmbeddings()));
        }
        int totalSteps = warmup + steps;
        PeakRss.reset();
        OptionalLong before = PeakRss.currentBytes();
        long loadStart = System.nanoTime();
        try (CausalLM model = ModelFactory.random(config, null, null, seed, Device.cpu())) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            OptionalLong loadPeak = PeakRss.bytes();
            Method method = apply(plugins, model, methodId, sets, seed);
            RandomTokenObjective objective = new RandomTokenObjective(model, batch * totalSteps, seq, seed);
            TrainingConfig training = new TrainingConfig(1, totalSteps, batch, 1, LEARNING_RATE, 0.0, 0.9, 0.999, 1e-8,
                    0, "constant", 0.0, totalSteps, seed, 0, 0, checkpointing);
            StepTimer timer = new StepTimer(totalSteps);
            TrainingSummary summary = new Trainer(training, timer, (stage, step, values) -> { }, "bench")
                    .fit(method, objective);
            OptionalLong trainPeak = PeakRss.bytes();
            double stepSeconds = timer.meanSeconds(warmup, totalSteps);
            double peak = MatmulPeak.measure(model.manager(), matmulSize, 5);
            double flops = stepFlops(model, method, seq, batch);
            List<Double> losses = summary.stepLosses();

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("engine", "DJL " + Engine.getDjlVersion() + " " + Engine.getInstance().getEngineName() + " "
                    + Engine.getInstance().getVersion());
            json.put("model_config", configFile.toString());
            Map<String, Object> shape = new LinkedHashMap<>();
            shape.put("model_type", config.modelType());
            shape.put("layers", config.numHiddenLayers());
            shape.put("hidden", config.hiddenSize());
            shape.put("heads", config.numAttentionHeads());
            shape.put("kv_heads", config.numKeyValueHeads());
            shape.put("head_dim", config.headDim());
            shape.put("intermediate", config.intermediateSize());
            shape.put("vocab", config.vocabSize());
            shape.put("tied", config.tieWordEmbeddings());
            shape.put("parameters", model.parameterCount());
            shape.put("seq", seq);
            shape.put("batch", batch);
            json.put("shape", shape);
            json.put("method", methodId);
            json.put("settings", sets);
            json.put("gradient_checkpointing", checkpointing);
            json.put("trainable_parameters", method.trainableParameterCount());
            json.put("steps", steps);
            json.put("warmup", warmup);
            json.put("step_ms", stepSeconds * 1000);
            json.put("tokens_per_second", (double) seq * batch / stepSeconds);
            json.put("flops_per_step", flops);
            json.put("achieved_gflops", flops / stepSeconds / 1e9);
            json.put("matmul_gflops", peak);
            json.put("matmul_size", matmulSize);
            json.put("mfu", flops / stepSeconds / 1e9 / peak);
            json.put("first_loss", losses.get(0));
            json.put("last_loss", losses.get(losses.size() - 1));
            json.put("load_seconds", loadSeconds);
            json.put("rss_before_load_mb", PeakRss.mebibytes(before));
            json.put("load_peak_rss_mb", PeakRss.mebibytes(loadPeak));
            json.put("peak_rss_mb", PeakRss.mebibytes(trainPeak));
            putRssGrowth(json, timer, warmup, totalSteps);
            return json;
        }
    }

    /**
     * {@code rss_after_warmup_mb} and {@code rss_last_mb} (the resident set after the last warm-up step and after the
     * last step) and {@code rss_growth} between them: a long run ({@code --warmup 200 --steps 1800}) shows whether
     * memory stays flat.
     */
    static void putRssGrowth(Map<String, Object> json, StepTimer timer, int warmup, int totalSteps) {
        Double after = timer.rssMebibytes(Math.max(1, warmup));
        Double last = timer.rssMebibytes(totalSteps);
        json.put("rss_after_warmup_mb", after);
        json.put("rss_last_mb", last);
        json.put("rss_growth", after == null || last == null ? null : last / after - 1);
    }

    /** The human-readable report of a {@link #run} result. */
    @SuppressWarnings("unchecked")
    static String report(Map<String, Object> r) {
        Map<String, Object> s = (Map<String, Object>) r.get("shape");
        return String.format(java.util.Locale.ROOT, """
                finetune4j bench: %s, fp32, CPU
                model: %s (%s), %,d parameters: layers=%s hidden=%s heads=%s/%s kv intermediate=%s vocab=%s tied=%s
                method %s %s, %,d trainable parameters, gradient checkpointing %s, seq=%s batch=%s
                step: %.1f ms (mean of %s after %s warm-up), %.1f tokens/s, loss %.4f -> %.4f
                FLOPs/step %.1f GFLOP, achieved %.1f GFLOP/s, matmul peak %.1f GFLOP/s, MFU %.1f%%
                memory: peak RSS %s MB (loading: %s MB, %.1f s)""",
                r.get("engine"), r.get("model_config"), s.get("model_type"), (Long) s.get("parameters"),
                s.get("layers"), s.get("hidden"), s.get("heads"), s.get("kv_heads"), s.get("intermediate"),
                s.get("vocab"), s.get("tied"), r.get("method"), r.get("settings"), (Long) r.get("trainable_parameters"),
                (Boolean) r.get("gradient_checkpointing") ? "on" : "off", s.get("seq"), s.get("batch"),
                (Double) r.get("step_ms"), r.get("steps"), r.get("warmup"), (Double) r.get("tokens_per_second"),
                (Double) r.get("first_loss"), (Double) r.get("last_loss"), (Double) r.get("flops_per_step") / 1e9,
                (Double) r.get("achieved_gflops"), (Double) r.get("matmul_gflops"), 100 * (Double) r.get("mfu"),
                mb(r.get("peak_rss_mb")), mb(r.get("load_peak_rss_mb")), (Double) r.get("load_seconds"));
    }

    private static String mb(Object value) {
        return value == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.0f", (Double) value);
    }

    /** Model FLOPs of one step (see the class comment). */
    static double stepFlops(CausalLM model, Method method, int seq, int batch) {
        ModelConfig c = model.config();
        long frozenLinear = 0;
        for (Linear linear : model.linears().values()) {
            Linear base = linear.base();
            frozenLinear += (long) base.inFeatures() * base.outFeatures();
        }
        long trainable = method.trainableParameterCount();
        if (!method.isAdapter()) {
            frozenLinear = 0; // full or partial fine-tuning trains the linears themselves: counted in trainable
        }
        double tokens = (double) seq * batch;
        double head = (method.isAdapter() ? 4.0 : 6.0) * c.vocabSize() * c.hiddenSize();
        double attention = 12.0 * seq * c.numAttentionHeads() * c.headDim() * c.numHiddenLayers();
        return tokens * (4.0 * frozenLinear + 6.0 * trainable + head + attention);
    }

    /** {@code lora} with r 16, alpha 32, dropout 0 on all-linear unless {@code sets} override them; others as set. */
    private static Method apply(BenchPlugins plugins, CausalLM model, String methodId, Map<String, String> sets,
                                long seed) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        if (methodId.equals("lora") || methodId.equals("qlora")) {
            values.put("r", DEFAULT_RANK);
            values.put("lora_alpha", DEFAULT_ALPHA);
            values.put("lora_dropout", 0.0);
            values.put("target_modules", "all-linear");
        }
        return LoraBenchmark.apply(plugins, model, methodId, values, sets, seed);
    }
}
