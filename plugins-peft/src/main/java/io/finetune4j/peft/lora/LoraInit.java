package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.Linear;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Initial values of one layer's {@code A [r, in]} and {@code B [out, r]}, as PEFT v0.20's
 * {@code peft/tuners/lora/layer.py} ({@code reset_lora_parameters}, {@code pissa_init}, {@code olora_init},
 * {@code orthogonal_init}, {@code loftq_init}). Random draws come from a generator seeded with the method's
 * seed, so values differ from PyTorch's but the distributions are the same.
 */
final class LoraInit {
    /**
     * @param a {@code [r, in]} row-major
     * @param b {@code [out, r]} row-major
     * @param residual the new base weight in the stored layout (PiSSA), or null when the base is unchanged
     */
    record Factors(float[] a, float[] b, float[] residual) {}

    private LoraInit() {}

    static Factors create(LoraConfig config, Linear base, int r, double scaling, SplittableRandom random) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        String mode = config.initMode();
        return switch (mode) {
            case "olora" -> olora(base, r, scaling);
            case "orthogonal" -> orthogonal(random, in, out, r);
            case "loftq" -> {
                Loftq.Result result = Loftq.run(Loftq.logical(base, r), out, in, r, config.loftqIter(),
                        Loftq.peft(config.loftqBits()));
                // PEFT: the base weight becomes the dequantised Q (a float weight on the quantisation grid)
                yield new Factors(result.a(), result.b(), Loftq.stored(base, result.quantized()));
            }
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
            values[i] = (float) (std * normal(random));
        }
        return values;
    }

    /** One standard normal draw (Box-Muller: SplittableRandom has no nextGaussian in Java 17). */
    private static double normal(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * PEFT's {@code orthogonal_init}: {@code Q} from the QR of an {@code [r, r]} normal matrix, {@code A =
     * (G_A · Q[0::2, :])ᵀ / 10} with {@code G_A [in, r/2]} normal, {@code B = G_B · Q[1::2, :] / 10} with
     * {@code G_B [out, r/2]} normal. The rows of {@code Q} are orthonormal, so {@code Q[1::2]·Q[0::2]ᵀ = 0}
     * and {@code B·A = 0}: the model starts unchanged, the base is untouched. {@code r} must be even.
     */
    private static Factors orthogonal(SplittableRandom random, int in, int out, int r) {
        if (r % 2 != 0) {
            throw new ConfigException("init_lora_weights: orthogonal needs an even r, was " + r);
        }
        double[] x = new double[r * r];
        for (int i = 0; i < x.length; i++) {
            x[i] = normal(random);
        }
        double[][] q = Qr.decompose(x, r, r).q(); // [r, r]
        int half = r / 2;
        float[] a = new float[r * in];
        for (int i = 0; i < in; i++) {
            double[] g = new double[half];
            for (int h = 0; h < half; h++) {
                g[h] = normal(random);
            }
            for (int k = 0; k < r; k++) {
                double sum = 0;
                for (int h = 0; h < half; h++) {
                    sum += g[h] * q[2 * h][k];      // odd rows in PEFT's 1-based words: Q[0::2]
                }
                a[k * in + i] = (float) (sum / 10.0);
            }
        }
        float[] b = new float[out * r];
        for (int o = 0; o < out; o++) {
            double[] g = new double[half];
            for (int h = 0; h < half; h++) {
                g[h] = normal(random);
            }
            for (int k = 0; k < r; k++) {
                double sum = 0;
                for (int h = 0; h < half; h++) {
                    sum += g[h] * q[2 * h + 1][k];  // Q[1::2]
                }
                b[o * r + k] = (float) (sum / 10.0);
            }
        }
        return new Factors(a, b, null);
    }

    /**
     * OLoRA (Büyükakyüz, 2024), PEFT's {@code olora_init}: {@code Q, R = qr(W)} (reduced, LAPACK's signs; see
     * {@link Qr}), {@code B = Q[:, :r]}, {@code A = R[:r]}, and the base keeps {@code W - s·B·A}, so the adapted
     * layer starts equal to the original. Difference: {@code W} is the logical {@code [out, in]} weight also
     * for GPT-2 Conv1D (PEFT decomposes the stored {@code [in, out]} weight there).
     */
    private static Factors olora(Linear base, int r, double scaling) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        if (r > Math.min(in, out)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "init_lora_weights: olora needs r <= min(in, out); module '%s' is %d -> %d but r is %d",
                    base.name(), in, out, r));
        }
        float[] logical = Loftq.logical(base, r);
        double[] w = new double[logical.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = logical[i];
        }
        Qr.Result qr = Qr.decompose(w, out, in);
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int k = 0; k < r; k++) {
            for (int i = 0; i < in; i++) {
                a[k * in + i] = (float) qr.r()[k][i];
            }
            for (int o = 0; o < out; o++) {
                b[o * r + k] = (float) qr.q()[o][k];
            }
        }
        return new Factors(a, b, Loftq.stored(base, residual(w, a, b, out, in, r, scaling)));
    }

    /** {@code W - s·B·A} (logical), from the float32 factors actually stored. */
    private static float[] residual(double[] w, float[] a, float[] b, int out, int in, int r, double scaling) {
        float[] residual = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double update = 0;
                for (int k = 0; k < r; k++) {
                    update += (double) b[o * r + k] * a[k * in + i];
                }
                residual[o * in + i] = (float) (w[o * in + i] - scaling * update);
            }
        }
        return residual;
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
