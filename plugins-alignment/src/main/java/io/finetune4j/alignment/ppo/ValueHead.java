package io.finetune4j.alignment.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * PPO's critic as TRL's {@code ValueHead} of {@code AutoModelForCausalLMWithValueHead}
 * ({@code trl/models/modeling_value_head.py}): {@code v_head.summary}, a linear map {@code hidden → 1} with
 * bias on the policy's final hidden states, sharing the policy's body. Initialised like TRL's
 * {@code v_head_init_strategy="normal"} (weight normal(0, 0.2), bias 0, seeded); no dropout, since PPO runs
 * without dropout here. Saved as {@code value_head.safetensors}.
 */
public final class ValueHead {
    public static final String FILE = "value_head.safetensors";
    public static final String WEIGHT = "v_head.summary.weight";
    public static final String BIAS = "v_head.summary.bias";
    private static final double INIT_STD = 0.2;

    private final NDArray weight;   // [1, hidden]
    private final NDArray bias;     // [1]

    public ValueHead(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** A trainable head in {@code manager}. */
    public static ValueHead create(int hidden, long seed, NDManager manager) {
        Random random = new Random(seed);
        float[] values = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            values[i] = (float) (random.nextGaussian() * INIT_STD);
        }
        NDArray weight = manager.create(values, new Shape(1, hidden));
        NDArray bias = manager.zeros(new Shape(1));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
        return new ValueHead(weight, bias);
    }

    /**
     * Values aligned with {@link SequenceBatch}'s shifted layout: position {@code t} is the value of the state
     * before token {@code t + 1}, read from the hidden state at {@code t}.
     *
     * @param hiddenStates {@code [batch, seq, hidden]}, leading so the result joins its manager
     * @return {@code [batch, seq - 1]}
     */
    public NDArray values(NDArray hiddenStates) {
        long seq = hiddenStates.getShape().get(1);
        NDArray states = hiddenStates.get(":, 0:" + (seq - 1) + ", :");            // [batch, seq - 1, hidden]
        return states.mul(weight).sum(new int[] {-1}).add(bias);                    // [batch, seq - 1]
    }

    public Map<String, NDArray> parameters() {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        parameters.put(WEIGHT, weight);
        parameters.put(BIAS, bias);
        return parameters;
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    /** Writes {@code dir/value_head.safetensors} (TRL's tensor names), atomically. */
    public void save(Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir, e);
        }
        SafetensorsWriter.write(dir.resolve(FILE), parameters(),
                Map.of(WEIGHT, DataType.FLOAT32, BIAS, DataType.FLOAT32),
                Map.of("format", "pt", "finetune4j", "value_head"));
    }
}
