package io.finetune4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The benchmark itself: a GPT-2-shaped model with random weights, an adaptation method (from the
 * runner's plugin registry, {@link BenchPlugins}; by default {@code lora} on every {@code c_attn}), the real
 * {@link Trainer} with AdamW on random-token batches, warm-up steps left out of the timing, then the matmul
 * peak in the same process.
 */
public final class LoraBenchmark {
    /** Settings shared with {@code bench/pytorch_baseline.py}: same optimizer, same adapter. */
    static final double LEARNING_RATE = 1e-4;
    static final double LORA_ALPHA = 8.0;
    /** Extra learned positions for methods other than LoRA (virtual tokens of prompt and prefix tuning). */
    static final int VIRTUAL_TOKEN_ROOM = 1024;

    private LoraBenchmark() {}

    /** The default benchmark: {@code lora} r={@code shape.rank()}, alpha 8, dropout 0 on {@code c_attn}. */
    public static BenchResult run(BenchPlugins plugins, BenchShape shape, int steps, int warmup, int matmulSize,
                                  long seed) {
        return run(plugins, shape, "lora", Map.of(), steps, warmup, matmulSize, seed);
    }

    /**
     * Benchmarks method {@code methodId} with {@code sets} ({@code key -> YAML value}, as {@code --set}
     * gives them) bound over the method's defaults; for {@code lora} they go over the default benchmark's
     * r, alpha 8, dropout 0 and {@code c_attn}.
     */
    public static BenchResult run(BenchPlugins plugins, BenchShape shape, String methodId, Map<String, String> sets,
                                  int steps, int warmup, int matmulSize, long seed) {
        int totalSteps = warmup + steps;
        Device device = Device.cpu();
        // Prompt and prefix tuning put virtual tokens before the sequence: room for them in the position table.
        int positions = methodId.equals("lora") ? shape.seq() : shape.seq() + VIRTUAL_TOKEN_ROOM;
        try (CausalLM model = ModelFactory.random(ModelFactory.gpt2Config(shape.vocab(), shape.hidden(), shape.layers(),
                shape.heads(), positions), null, null, seed, device)) {
            Method lora = apply(plugins, model, methodId, sets, shape.rank(), seed);
            RandomTokenObjective objective =
                    new RandomTokenObjective(model, shape.batch() * totalSteps, shape.seq(), seed);
            // Constant rate, no clipping, no weight decay: what the baseline's plain AdamW loop does.
            TrainingConfig config = new TrainingConfig(1, totalSteps, shape.batch(), 1, LEARNING_RATE, 0.0, 0.9, 0.999,
                    1e-8, 0, "constant", 0.0, totalSteps, seed);
            StepTimer timer = new StepTimer(totalSteps);
            TrainingSummary summary = new Trainer(config, timer, (stage, step, values) -> { }, "bench")
                    .fit(lora, objective);
            double stepSeconds = timer.meanSeconds(warmup, totalSteps);
            double peak = MatmulPeak.measure(model.manager(), matmulSize, 5);
            List<Double> losses = summary.stepLosses();
            return new BenchResult(shape, steps, warmup, lora.trainableParameterCount(), stepSeconds, peak, matmulSize,
                    losses.get(0), losses.get(losses.size() - 1),
                    "DJL " + Engine.getDjlVersion() + " " + Engine.getInstance().getEngineName() + " "
                            + Engine.getInstance().getVersion(),
                    methodId, methodId.equals("lora") && sets.isEmpty(), baseLinearBytes(model));
        }
    }

    /**
     * Resident bytes of the base model's linear weights, as each base layer reports them
     * ({@link Linear#weightBytes()}: 4 · numel for a float32 layer, packed codes plus scales for a quantised
     * one), or null when some base layer cannot say. Biases are left out.
     */
    static Long baseLinearBytes(CausalLM model) {
        long bytes = 0;
        for (Linear linear : model.linears().values()) {
            long layer = linear.base().weightBytes();
            if (layer < 0) {
                return null;
            }
            bytes += layer;
        }
        return bytes;
    }

    /** Creates {@code lora} with r={@code rank}, alpha 8, dropout 0 on {@code c_attn}. */
    static Method applyLora(BenchPlugins plugins, CausalLM model, int rank, long seed) {
        return apply(plugins, model, "lora", Map.of(), rank, seed);
    }

    /** Creates method {@code methodId} with {@code sets} bound over its defaults. */
    static Method apply(BenchPlugins plugins, CausalLM model, String methodId, Map<String, String> sets, int rank,
                        long seed) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        if (methodId.equals("lora")) {
            values.put("r", rank);
            values.put("lora_alpha", LORA_ALPHA);
            values.put("lora_dropout", 0.0);
            values.putArray("target_modules").add("c_attn");
        }
        return apply(plugins, model, methodId, values, sets, seed);
    }

    /** Creates method {@code methodId} from {@code values} with {@code sets} (YAML values) bound over them. */
    static Method apply(BenchPlugins plugins, CausalLM model, String methodId, ObjectNode values,
                        Map<String, String> sets, long seed) {
        YAMLMapper yaml = new YAMLMapper();
        for (Map.Entry<String, String> set : sets.entrySet()) {
            JsonNode value;
            try {
                value = yaml.readTree(set.getValue());
            } catch (IOException e) {
                throw new ConfigException("bench: --set " + set.getKey() + "=" + set.getValue()
                        + " is not a YAML value: " + e.getMessage());
            }
            values.set(set.getKey(), value == null || value.isMissingNode() ? values.nullNode() : value);
        }
        MethodContext context = new MethodContext() {
            @Override public CausalLM model() {
                return model;
            }

            @Override public long seed() {
                return seed;
            }
        };
        return plugins.method(methodId, values, "bench." + methodId, context).orElseThrow(() ->
                new ConfigException("bench: no '" + methodId + "' method provider on the class path"));
    }
}
