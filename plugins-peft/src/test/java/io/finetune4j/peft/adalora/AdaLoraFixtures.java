package io.finetune4j.peft.adalora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.model.ModelFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Tiny random models (hidden 8, vocab 16), a next-token objective over fixed rows, and snapshots. */
final class AdaLoraFixtures {
    static final int VOCAB = 16;
    static final long[] IDS = {1, 5, 9, 3, 14, 2, 7, 0, 11, 4, 6, 15};

    private AdaLoraFixtures() {}

    static CausalLM llama(long seed) {
        return ModelFactory.random(ModelFactory.llamaConfig(VOCAB, 8, 2, 2, 1, 16, 32), null, null, seed, Device.cpu());
    }

    static CausalLM gpt2(long seed) {
        return ModelFactory.random(ModelFactory.gpt2Config(VOCAB, 8, 2, 2, 32), null, null, seed, Device.cpu());
    }

    static AdaLoraMethod adalora(CausalLM model, AdaLoraConfig config) {
        return (AdaLoraMethod) new AdaLoraMethodProvider().create(config, new Context(model, 3));
    }

    /** Logits {@code [2, 6, vocab]} for two rows of {@link #IDS}, flattened. */
    static float[] logits(CausalLM model) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray ids = step.create(IDS, new Shape(2, 6));
            return model.forward(ForwardInput.of(ids)).logits().toFloatArray();
        }
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> arrays) {
        Map<String, float[]> values = new LinkedHashMap<>();
        arrays.forEach((name, array) -> values.put(name, array.toFloatArray()));
        return values;
    }

    /** Sets every A, B and E of {@code method} to normal(0, std) values from {@code seed}. */
    static void randomize(AdaLoraMethod method, long seed, double std) {
        Random random = new Random(seed);
        method.trainableParameters().values().forEach(array -> {
            float[] values = new float[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * std);
            }
            array.set(values);
        });
    }

    record Context(CausalLM model, long seed) implements MethodContext {}

    /** Next-token cross-entropy over a few fixed random rows of 8 tokens. */
    static final class NextToken implements Objective {
        private final CausalLM model;
        private final long[][] rows;

        NextToken(CausalLM model, int count, long seed) {
            this.model = model;
            Random random = new Random(seed);
            rows = new long[count][8];
            for (long[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = random.nextInt(VOCAB);
                }
            }
        }

        @Override
        public int exampleCount() {
            return rows.length;
        }

        @Override
        public ObjectiveStep compute(List<Integer> indices, NDManager step) {
            long[] flat = new long[indices.size() * 8];
            for (int i = 0; i < indices.size(); i++) {
                System.arraycopy(rows[indices.get(i)], 0, flat, i * 8, 8);
            }
            NDArray ids = step.create(flat, new Shape(indices.size(), 8));
            NDArray logits = model.forward(ForwardInput.of(ids).withTraining(true)
                    .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();     // [b, 7, vocab]
            NDArray targets = ids.get(":, 1:");                                     // [b, 7]
            NDArray loss = LossMath.maskedMeanCrossEntropy(logits, targets, step.ones(targets.getShape()));
            return new ObjectiveStep(loss, flat.length, Map.of());
        }
    }
}
