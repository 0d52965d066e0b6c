package io.finetune4j.runner.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The benchmark itself: a GPT-2-shaped model with random weights, the {@code lora} method (found with
 * {@link ServiceLoader} like any plugin) on every {@code c_attn}, the real {@link Trainer} with AdamW on
 * random-token batches, warm-up steps left out of the timing, then the matmul peak in the same process.
 */
public final class LoraBenchmark {
    /** Settings shared with {@code bench/pytorch_baseline.py}: same optimizer, same adapter. */
    static final double LEARNING_RATE = 1e-4;
    static final double LORA_ALPHA = 8.0;

    private LoraBenchmark() {}

    public static BenchResult run(BenchShape shape, int steps, int warmup, int matmulSize, long seed) {
        int totalSteps = warmup + steps;
        Device device = Device.cpu();
        try (CausalLM model = ModelFactory.random(ModelFactory.gpt2Config(shape.vocab(), shape.hidden(), shape.layers(),
                shape.heads(), shape.seq()), null, null, seed, device)) {
            Method lora = applyLora(model, shape.rank(), seed);
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
                            + Engine.getInstance().getVersion());
        }
    }

    /** Finds the {@code lora} provider and applies r={@code rank}, alpha 8, dropout 0 to {@code c_attn}. */
    static Method applyLora(CausalLM model, int rank, long seed) {
        for (MethodProvider<?> provider : ServiceLoader.load(MethodProvider.class)) {
            if (provider.id().equals("lora")) {
                return create(provider, model, rank, seed);
            }
        }
        throw new ConfigException("bench: no 'lora' method provider on the class path (the plugins-peft bundle)");
    }

    private static <C extends Record> Method create(MethodProvider<C> provider, CausalLM model, int rank, long seed) {
        ConfigBinder binder = new ConfigBinder();
        ObjectNode values = binder.mapper().createObjectNode();
        values.put("r", rank);
        values.put("lora_alpha", LORA_ALPHA);
        values.put("lora_dropout", 0.0);
        values.putArray("target_modules").add("c_attn");
        ConfigProblems problems = ConfigProblems.at("bench.lora");
        C config = binder.bind(provider.defaults(), provider.configType(), values, List.of(), problems).orElse(null);
        if (config != null) {
            provider.validate(config, problems);
        }
        problems.throwIfAny();
        return provider.create(config, new MethodContext() {
            @Override public CausalLM model() {
                return model;
            }

            @Override public long seed() {
                return seed;
            }
        });
    }
}
