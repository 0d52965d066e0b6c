package io.finetune4j.runtime.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.api.model.TextTokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny models for tests, with weights large enough that every part of the forward shows in the logits. */
public final class TestModels {
    public static final int VOCAB = 32;
    public static final int HIDDEN = 16;
    public static final int LAYERS = 2;
    public static final int MAX_POSITIONS = 64;

    private TestModels() {}

    public static CausalLM llama(String modelType, int heads, int kvHeads, boolean tied, long seed) {
        return llama(modelType, heads, kvHeads, tied, seed, TestTokenizer.of(VOCAB));
    }

    public static CausalLM llama(String modelType, int heads, int kvHeads, boolean tied, long seed, TextTokenizer tokenizer) {
        ModelConfig config = ModelFactory.llamaFamilyConfig(modelType, VOCAB, HIDDEN, LAYERS, heads, kvHeads, 24, MAX_POSITIONS, tied);
        return rescaled(ModelFactory.random(config, tokenizer, null, seed, Device.cpu()), seed);
    }

    /** Qwen3 with hidden 16, 4 heads, 2 kv heads and head_dim 6 (not hidden / heads), untied unless asked. */
    public static CausalLM qwen3(boolean tied, long seed, TextTokenizer tokenizer) {
        ModelConfig config = ModelFactory.config("qwen3", new io.finetune4j.runtime.model.family.ModelShape(
                VOCAB, HIDDEN, LAYERS, 4, 2, 24, MAX_POSITIONS, tied, 6));
        return rescaled(ModelFactory.random(config, tokenizer, null, seed, Device.cpu()), seed);
    }

    public static CausalLM gpt2(long seed) {
        return gpt2(seed, TestTokenizer.of(VOCAB));
    }

    public static CausalLM gpt2(long seed, TextTokenizer tokenizer) {
        ModelConfig config = ModelFactory.gpt2Config(VOCAB, HIDDEN, LAYERS, 2, MAX_POSITIONS);
        return rescaled(ModelFactory.random(config, tokenizer, null, seed, Device.cpu()), seed);
    }

    /** "llama" (grouped-query, untied), "qwen2" (biases, tied) or "gpt2". */
    public static CausalLM named(String kind, long seed, TextTokenizer tokenizer) {
        return switch (kind) {
            case "llama" -> llama("llama", 2, 1, false, seed, tokenizer);
            case "qwen2" -> llama("qwen2", 2, 1, true, seed, tokenizer);
            case "gpt2" -> gpt2(seed, tokenizer);
            case "qwen3" -> qwen3(true, seed, tokenizer);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    public static CausalLM named(String kind, long seed) {
        return named(kind, seed, TestTokenizer.of(VOCAB));
    }

    /**
     * The same architecture with weights N(0, 0.3), biases N(0, 0.1) and norm weights 1 + N(0, 0.2):
     * HF's init (std 0.02) would make the logits nearly uniform and hide mistakes.
     */
    public static CausalLM rescaled(CausalLM base, long seed) {
        SplittableRandom random = new SplittableRandom(seed * 31 + 7);
        NDManager manager = NDManager.newBaseManager(Device.cpu());
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (base) {
            for (Map.Entry<String, NDArray> entry : base.parameters().entrySet()) {
                String name = entry.getKey();
                boolean norm = name.contains("norm") || name.contains(".ln_");
                float[] values = new float[Math.toIntExact(entry.getValue().size())];
                for (int i = 0; i < values.length; i++) {
                    double g = random.nextGaussian();
                    if (norm && name.endsWith(".weight")) {
                        values[i] = (float) (1 + 0.2 * g);
                    } else if (name.endsWith(".bias")) {
                        values[i] = (float) (0.1 * g);
                    } else {
                        values[i] = (float) (0.3 * g);
                    }
                }
                tensors.put(name, manager.create(values, entry.getValue().getShape()));
            }
            return ModelFactory.fromTensors(base.config(), tensors, Map.of(), base.tokenizer(), null, manager);
        }
    }

    /** Logits {@code [T][vocab]} of one sequence through the model (all positions, no cache). */
    public static float[][] logits(CausalLM model, long[] ids) {
        try (NDManager step = model.manager().getEngine().newBaseManager(model.device())) {
            NDArray input = step.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length));
            float[] flat = model.forward(ForwardInput.of(input)).logits().toFloatArray();
            return rows(flat, ids.length);
        }
    }

    public static float[][] rows(float[] flat, int count) {
        int width = flat.length / count;
        float[][] rows = new float[count][width];
        for (int i = 0; i < count; i++) {
            System.arraycopy(flat, i * width, rows[i], 0, width);
        }
        return rows;
    }

    /** Largest absolute difference between two [T][V] tables. */
    public static double maxDiff(double[][] expected, float[][] actual) {
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                max = Math.max(max, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        return max;
    }

    public static double maxDiff(float[][] expected, float[][] actual) {
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                max = Math.max(max, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        return max;
    }
}
