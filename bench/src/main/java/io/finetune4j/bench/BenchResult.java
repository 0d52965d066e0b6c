package io.finetune4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code ft4j bench} measured.
 *
 * @param stepSeconds mean wall time of one timed optimizer step
 * @param matmulGflops best fp32 {@code size³} matmul throughput of this process
 * @param firstLoss loss of the first (warm-up) step
 * @param lastLoss loss of the last step
 * @param method id of the benchmarked method
 * @param flopsApply true when {@link BenchShape#stepFlops()} describes the step (default LoRA on c_attn)
 * @param baseLinearBytes resident bytes of the base linears' weights, or null when not known
 */
public record BenchResult(BenchShape shape, int steps, int warmup, long trainableParameters, double stepSeconds,
                          double matmulGflops, int matmulSize, double firstLoss, double lastLoss, String engine,
                          String method, boolean flopsApply, Long baseLinearBytes) {

    /** Adapter weights plus Adam's m and v, float32: {@code 4 · 3 · trainable parameters}. */
    public long adapterOptimizerBytes() {
        return 4L * 3 * trainableParameters;
    }

    public double tokensPerSecond() {
        return shape.tokensPerStep() / stepSeconds;
    }

    /** FLOP/s the step achieved, counted with {@link BenchShape#stepFlops()}. */
    public double achievedGflops() {
        return shape.stepFlops() / stepSeconds / 1e9;
    }

    /** Model FLOPs utilisation: achieved over the matmul peak measured in the same process. */
    public double mfu() {
        return achievedGflops() / matmulGflops;
    }

    /** The fields of {@code --json}, with the same names as {@code bench/pytorch_baseline.py}'s. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("engine", engine);
        Map<String, Object> shapeJson = new LinkedHashMap<>();
        shapeJson.put("layers", shape.layers());
        shapeJson.put("hidden", shape.hidden());
        shapeJson.put("heads", shape.heads());
        shapeJson.put("vocab", shape.vocab());
        shapeJson.put("seq", shape.seq());
        shapeJson.put("batch", shape.batch());
        shapeJson.put("rank", shape.rank());
        json.put("shape", shapeJson);
        json.put("steps", steps);
        json.put("warmup", warmup);
        json.put("step_ms", stepSeconds * 1000);
        json.put("tokens_per_second", tokensPerSecond());
        json.put("flops_per_step", shape.stepFlops());
        json.put("flops_formula", BenchShape.formula());
        json.put("achieved_gflops", achievedGflops());
        json.put("matmul_gflops", matmulGflops);
        json.put("matmul_size", matmulSize);
        json.put("mfu", flopsApply ? mfu() : null);
        json.put("method", method);
        json.put("trainable_parameters", trainableParameters);
        json.put("adapter_optimizer_bytes", adapterOptimizerBytes());
        if (baseLinearBytes != null) {
            json.put("base_linear_bytes", baseLinearBytes);
        }
        json.put("first_loss", firstLoss);
        json.put("last_loss", lastLoss);
        json.put("peak_rss_mb", PeakRss.mebibytes(PeakRss.bytes()));
        return json;
    }
}
