package io.finetune4j.peft.glora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One support tensor of one layer, as ViT-Slim's {@code SuperScalableLinear.prepare_path}: a {@code lora} support
 * is {@code down · up} ({@code [rows, k] · [k, cols]}), a {@code vector} has shape {@code vectorShape}, a
 * {@code scalar} one element, {@code none} nothing. ViT-Slim initialises {@code down} (its {@code Xd}), vectors and
 * scalars to zero and {@code up} ({@code Xu}) with {@code xavier_uniform_}, so every support starts at zero and the
 * adapted layer starts equal to its base.
 */
final class GloraSupport {
    private final GloraConfig.Support spec;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();

    /**
     * @param rows {@code out} for {@code A}, {@code B}; {@code in} for {@code C}
     * @param cols {@code in} for {@code A}, {@code B}; 1 for {@code C}
     * @param vectorShape the shape of a vector support ({@code [out, 1]}, {@code [in, 1]} or {@code [out]})
     * @param name the saved name before the parameter's suffix, {@code base_model.model.<module>.glora_A}
     */
    GloraSupport(GloraConfig.Support spec, long rows, long cols, Shape vectorShape, String name, NDManager manager,
                 SplittableRandom random) {
        this.spec = spec;
        switch (spec.type()) {
            case "lora" -> {
                int k = spec.rank();
                parameters.put(name + "d", manager.zeros(new Shape(rows, k)));                        // [rows, k]
                parameters.put(name + "u", manager.create(xavierUniform(random, k, cols), new Shape(k, cols)));
            }
            case "vector" -> parameters.put(name, manager.zeros(vectorShape));
            // [1] or [1, 1]: broadcasts like the vector it stands for
            case "scalar" -> parameters.put(name, manager.zeros(vectorShape.dimension() == 1 ? new Shape(1)
                    : new Shape(1, 1)));
            case "none" -> { }
            default -> throw new IllegalArgumentException("unknown GLoRA support type " + spec.type());
        }
        parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
    }

    /** {@code torch.nn.init.xavier_uniform_} of a {@code [fanOut, fanIn]} matrix: bound {@code sqrt(6 / (in + out))}. */
    private static float[] xavierUniform(SplittableRandom random, int fanOut, long fanIn) {
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        float[] values = new float[Math.toIntExact(fanOut * fanIn)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return values;
    }

    boolean none() {
        return spec.none();
    }

    GloraConfig.Support spec() {
        return spec;
    }

    /** The trainable arrays by saved name ({@code ...glora_Ad}, {@code ...glora_Au} or {@code ...glora_A}). */
    Map<String, NDArray> parameters() {
        return parameters;
    }

    /**
     * The support's value owned by {@code step} (a LoRA support multiplied out: {@code [rows, cols]}; a vector its
     * shape; a scalar one element, broadcasting), or null for {@code none}. A step-owned zero leads every op, so no
     * result joins the adapter's manager.
     */
    NDArray value(NDManager step) {
        if (none()) {
            return null;
        }
        NDArray zero = step.zeros(new Shape());
        if (spec.type().equals("lora")) {
            NDArray[] factors = parameters.values().toArray(NDArray[]::new);
            return zero.add(factors[0]).matMul(factors[1]);                                         // [rows, cols]
        }
        return zero.add(parameters.values().iterator().next());
    }
}
