package io.finetune4j.peft.ia3;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/** Tiny random models (hidden 8, vocab 16) and helpers shared by the ia3, adapter and prompt tests. */
public final class PeftFixtures {
    public static final int VOCAB = 16;
    public static final long[] IDS = {1, 5, 9, 3, 14, 2, 7, 0, 11, 4, 6, 15};

    private PeftFixtures() {}

    /** Llama: hidden 8, 2 layers, 2 heads, 1 KV head (GQA), intermediate 16. */
    public static CausalLM llama(long seed) {
        return ModelFactory.random(ModelFactory.llamaConfig(VOCAB, 8, 2, 2, 1, 16, 64), null, null, seed, Device.cpu());
    }

    /** GPT-2: hidden 8, 2 layers, 2 heads, MLP 32. */
    public static CausalLM gpt2(long seed) {
        return ModelFactory.random(ModelFactory.gpt2Config(VOCAB, 8, 2, 2, 64), null, null, seed, Device.cpu());
    }

    public static CausalLM model(boolean gpt2, long seed) {
        return gpt2 ? gpt2(seed) : llama(seed);
    }

    /** Logits {@code [2, 6, vocab]} of two rows of {@link #IDS}, flattened, through {@code forward}. */
    public static float[] logits(CausalLM model, Function<ForwardInput, ForwardInput> adapt) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray ids = step.create(IDS, new Shape(2, 6));
            return model.forward(adapt.apply(ForwardInput.of(ids))).logits().toFloatArray();
        }
    }

    public static float[] logits(CausalLM model) {
        return logits(model, input -> input);
    }

    /** Copies of every base parameter's values. */
    public static Map<String, float[]> snapshot(Map<String, NDArray> parameters) {
        Map<String, float[]> values = new LinkedHashMap<>();
        parameters.forEach((name, array) -> values.put(name, array.toFloatArray()));
        return values;
    }

    /** Fills every trainable parameter with {@code scale · N(0, 1)} (plus {@code offset}) from {@code seed}. */
    public static void randomize(Method method, long seed, double offset, double scale) {
        Random random = new Random(seed);
        method.trainableParameters().values().forEach(array -> {
            float[] values = new float[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (offset + scale * random.nextGaussian());
            }
            array.set(values);
        });
    }

    /**
     * Four optimizer steps of the runtime's {@link Trainer} (AdamW, lr 0.05, constant) on next-token
     * cross-entropy over the two rows of {@link #IDS}, each forward's input passed through {@code adapt};
     * returns the first and last step loss.
     */
    public static float[] train(CausalLM model, Method method, Function<ForwardInput, ForwardInput> adapt) {
        TrainingConfig config = new TrainingConfig(4, 4, 2, 1, 0.05, 0.0, 0.9, 0.999, 1e-8, 0, "constant", 0.0, 1, 1);
        Objective objective = new Objective() {
            @Override
            public int exampleCount() {
                return 2;
            }

            @Override
            public ObjectiveStep compute(List<Integer> indices, NDManager step) {
                long[] ids = new long[indices.size() * 6];
                for (int i = 0; i < indices.size(); i++) {
                    System.arraycopy(IDS, indices.get(i) * 6, ids, i * 6, 6);
                }
                NDArray input = step.create(ids, new Shape(indices.size(), 6));
                NDArray logits = model.forward(adapt.apply(ForwardInput.of(input).withTraining(true)
                        .withLogits(ForwardInput.Logits.ALL_BUT_LAST))).logits();
                NDArray loss = LossMath.maskedMeanCrossEntropy(logits, input.get(":, 1:"),
                        step.ones(new Shape(indices.size(), 5)));
                System.gc(); // a freed autograd scalar would turn the loss NaN (STACK.md)
                return new ObjectiveStep(loss, ids.length, Map.of());
            }
        };
        TrainingSummary summary = new Trainer(config, ProgressListener.NONE, (stage, step, values) -> {}, "test")
                .fit(method, objective);
        List<Double> losses = summary.stepLosses();
        return new float[] {losses.get(0).floatValue(), losses.get(losses.size() - 1).floatValue()};
    }

    /** Largest absolute difference. */
    public static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " and " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    public record Context(CausalLM model, long seed) implements MethodContext {}
}
