package io.finetune4j.peft.lora;

import io.finetune4j.api.model.Linear;

/** Weight arithmetic of one adapted layer in double precision, on the float32 values the arrays hold. */
final class LoraWeights {
    private LoraWeights() {}

    /**
     * {@code ‖W + s·B·A‖} per output feature ({@code [out]}): DoRA's initial magnitude (PEFT's
     * {@code get_weight_norm}), over the logical {@code [out, in]} rows whatever the stored layout.
     */
    static float[] rowNorms(Linear base, float[] a, float[] b, int r, double scaling) {
        double[] combined = combined(base, a, b, r, scaling);
        int in = base.inFeatures();
        float[] norms = new float[base.outFeatures()];
        for (int o = 0; o < norms.length; o++) {
            double sum = 0;
            for (int i = 0; i < in; i++) {
                double value = combined[o * in + i];
                sum += value * value;
            }
            norms[o] = (float) Math.sqrt(sum);
        }
        return norms;
    }

    /**
     * The merged weight in the stored layout: {@code W + s·B·A}, times {@code m / ‖W + s·B·A‖} per output
     * feature for DoRA (PEFT's {@code merge_safe}).
     */
    static float[] merged(LoraLinear layer) {
        return merged(layer, layer.loraA().toFloatArray(), layer.loraB().toFloatArray(), layer.rank(), layer.scaling(),
                layer.magnitude().map(m -> m.toFloatArray()).orElse(null));
    }

    /** {@link #merged(LoraLinear)} for one named adapter of the layer, on the layer's current base weight. */
    static float[] merged(LoraLinear layer, LoraLinear.Adapter adapter) {
        return merged(layer, adapter.a().toFloatArray(), adapter.b().toFloatArray(), adapter.rank(),
                adapter.scalingValue(), adapter.magnitude() == null ? null : adapter.magnitude().toFloatArray());
    }

    private static float[] merged(LoraLinear layer, float[] a, float[] b, int r, double scaling, float[] magnitude) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        double[] combined = combined(layer, a, b, r, scaling);
        float[] merged = new float[out * in];
        for (int o = 0; o < out; o++) {
            double factor = 1;
            if (magnitude != null) {
                double sum = 0;
                for (int i = 0; i < in; i++) {
                    sum += combined[o * in + i] * combined[o * in + i];
                }
                factor = magnitude[o] / Math.sqrt(sum);
            }
            for (int i = 0; i < in; i++) {
                merged[layer.transposed() ? i * out + o : o * in + i] = (float) (factor * combined[o * in + i]);
            }
        }
        return merged;
    }

    /** {@code W + s·B·A} as a logical row-major {@code [out, in]} matrix. */
    private static double[] combined(Linear base, float[] a, float[] b, int r, double scaling) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        float[] w = base.weight().toFloatArray();
        double[] combined = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double delta = 0;
                for (int k = 0; k < r; k++) {
                    delta += (double) b[o * r + k] * a[k * in + i];
                }
                combined[o * in + i] = w[base.transposed() ? i * out + o : o * in + i] + scaling * delta;
            }
        }
        return combined;
    }
}
