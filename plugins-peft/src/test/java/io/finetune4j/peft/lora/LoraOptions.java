package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A mutable builder of {@link LoraConfig} for tests, starting from r=2, alpha=4 on q_proj/v_proj/c_attn. */
final class LoraOptions {
    int r = 2;
    double alpha = 4;
    double dropout;
    Object targets = List.of("q_proj", "v_proj", "c_attn");
    Object exclude = List.of();
    String bias = "none";
    boolean rslora;
    Object init = true;
    Map<String, Integer> rankPattern = Map.of();
    Map<String, Double> alphaPattern = Map.of();
    List<Integer> layers = List.of();
    List<String> layersPattern = List.of();
    List<String> modulesToSave = List.of();
    boolean dora;

    LoraConfig build() {
        return new LoraConfig(r, alpha, dropout, targets, exclude, bias, rslora, init, rankPattern, alphaPattern,
                layers, layersPattern, modulesToSave, dora);
    }

    LoraMethod create(CausalLM model, long seed) {
        return (LoraMethod) new LoraMethodProvider().create(build(), new TinyModels.Context(model, seed));
    }

    /** Gives every trainable array random values (magnitudes stay positive), so adapters change the output. */
    static void randomize(LoraMethod method, long seed) {
        Random random = new Random(seed);
        method.trainableParameters().forEach((name, array) -> {
            float[] values = array.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                values[i] = name.endsWith("lora_magnitude_vector")
                        ? (float) (values[i] * (1 + 0.3 * random.nextGaussian()))
                        : (float) (0.3 * random.nextGaussian());
            }
            array.set(values);
        });
    }

    static float[] values(NDArray array) {
        return array.toFloatArray();
    }
}
