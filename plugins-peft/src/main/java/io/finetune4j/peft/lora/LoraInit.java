package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.Linear;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Initial values of one layer's {@code A [r, in]} and {@code B [out, r]}, as PEFT's
 * {@code LoraLayer.reset_lora_parameters} and {@code pissa_init}. Random draws come from a generator seeded
 * with the method's seed, so values differ from PyTorch's but the distributions are the same.
 */
final class LoraInit {
    /**
     * @param a {@code [r, in]} row-major
     * @param b {@code [out, r]} row-major
     * @param residual the new base weight in the stored layout (PiSSA), or null when the base is unchanged
     */
    record Factors(float[] a, float[] b, float[] residual) {}

    private LoraInit() {}

    static Factors create(String mode, Linear base, int r, double scaling, SplittableRandom random) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        return switch (mode) {
            case "true" -> new Factors(kaimingUniform(random, r * in, in), new float[out * r], null);
            // nn.Linear's own init for both: B is [out, r], so its fan-in is r (a debugging mode: not an identity)
            case "false" -> new Factors(kaimingUniform(random, r * in, in), kaimingUniform(random, out * r, r), null);
            case "gaussian" -> new Factors(gaussian(random, r * in, 1.0 / r), new float[out * r], null);
            default -> {
                if (mode.startsWith("pissa")) {
                    yield pissa(base, r, scaling);
                }
                throw new IllegalArgumentException("unknown init_lora_weights " + mode);
            }
        };
    }

    /**
     * {@code torch.nn.init.kaiming_uniform_(w, a=sqrt(5))}: gain {@code sqrt(2 / (1 + a²)) = sqrt(1/3)}, bound
     * {@code gain · sqrt(3 / fan_in) = 1 / sqrt(fan_in)}.
     */
    static float[] kaimingUniform(SplittableRandom random, int size, int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return values;
    }

    /** {@code nn.init.normal_(A, std=1/r)}: PEFT's {@code gaussian} mode. */
    private static float[] gaussian(SplittableRandom random, int size, double std) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian in Java 17
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            values[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return values;
    }

    /**
     * PiSSA (Meng et al., 2024), PEFT's {@code pissa_init}: with {@code W = U S Vᵀ} (the logical
     * {@code [out, in]} weight, transposed back for Conv1D), {@code A = diag(sqrt(S_r / s)) V_rᵀ},
     * {@code B = U_r diag(sqrt(S_r / s))}, and the base keeps {@code W - s·B·A}, so the adapted layer starts
     * equal to the original. {@code pissa_niter_<n>} asks PEFT for a randomised SVD; the exact one is used here.
     */
    private static Factors pissa(Linear base, int r, double scaling) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        if (r > Math.min(in, out)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "init_lora_weights: pissa needs r <= min(in, out); module '%s' is %d -> %d but r is %d",
                    base.name(), in, out, r));
        }
        float[] stored = base.weight().toFloatArray();
        double[] w = new double[out * in]; // logical [out, in]
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                w[o * in + i] = stored[base.transposed() ? i * out + o : o * in + i];
            }
        }
        Svd.Result svd = Svd.decompose(w, out, in);
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int k = 0; k < r; k++) {
            double root = Math.sqrt(svd.s()[k] / scaling);
            for (int i = 0; i < in; i++) {
                a[k * in + i] = (float) (root * svd.v()[i][k]);
            }
            for (int o = 0; o < out; o++) {
                b[o * r + k] = (float) (svd.u()[o][k] * root);
            }
        }
        float[] residual = new float[stored.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                // subtract the float32 factors actually stored, so W_res + s·B·A reproduces W as closely as float allows
                double update = 0;
                for (int k = 0; k < r; k++) {
                    update += (double) b[o * r + k] * a[k * in + i];
                }
                int index = base.transposed() ? i * out + o : o * in + i;
                residual[index] = (float) (w[o * in + i] - scaling * update);
            }
        }
        return new Factors(a, b, residual);
    }
}
