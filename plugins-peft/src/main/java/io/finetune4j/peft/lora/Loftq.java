package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.quant.Int8Linear;
import io.finetune4j.peft.quant.Nf4Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * LoftQ (Li et al., "LoftQ: LoRA-Fine-Tuning-Aware Quantization for Large Language Models", 2023), as PEFT v0.20's
 * {@code peft/utils/loftq_utils.py} {@code loftq_init}: starting from {@code res = W}, each of {@code loftq_iter}
 * rounds quantises {@code Q = dequant(quant(res))}, takes the top-{@code r} SVD of {@code W - Q} as
 * {@code L = U_r·sqrt(S_r)}, {@code R = sqrt(S_r)·V_rᵀ}, and (except after the last round) sets
 * {@code res = W - L·R}. The result is {@code A = R}, {@code B = L} and the base {@code Q}. As in PEFT the
 * factors are not divided by the LoRA scaling, so the layer starts at {@code Q + s·B·A} (exactly PEFT's
 * approximation of {@code W} when {@code lora_alpha == r}).
 *
 * <p>PEFT quantises with bitsandbytes: 4 bits is {@code Params4bit(quant_type="nf4", compress_statistics=False)}
 * (blocks of 64, no double quantisation), 8 bits is {@code Int8Params} (row-wise absmax): {@link #peft(int)}.
 * Under {@code qlora} the quantiser is the method's own, so the quantised base is exactly LoftQ's {@code Q}.
 * Difference: the weight is taken in its logical {@code [out, in]} layout also for GPT-2 Conv1D (PEFT
 * decomposes the stored {@code [in, out]} weight, which gives factors of the wrong shape there).
 */
public final class Loftq {
    /** A quantise-then-dequantise of a logical {@code [out, in]} row-major weight. */
    @FunctionalInterface
    public interface Quantizer {
        float[] roundTrip(float[] logical, int out, int in);
    }

    /**
     * One layer's LoftQ, all logical {@code [out, in]} row-major.
     *
     * @param quantizationInput the matrix the last round quantised ({@code W - L·R} of the round before, or
     *     {@code W}): quantising it again gives {@code quantized}
     * @param quantized {@code Q}, the new base
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     */
    public record Result(float[] quantizationInput, float[] quantized, float[] a, float[] b) {}

    private Loftq() {}

    /** PEFT's quantiser for {@code loftq_bits}: NF4 in blocks of 64 without double quantisation, or row-wise int8. */
    public static Quantizer peft(int bits) {
        return switch (bits) {
            case 4 -> (logical, out, in) -> Nf4Weights.quantize(logical, 64, false).dequantize();
            case 8 -> Int8Linear::roundTrip;
            default -> throw new ConfigException("loftq_config.loftq_bits: must be 4 or 8, was " + bits);
        };
    }

    /** PEFT's {@code loftq_init(weight, num_bits, reduced_rank=r, num_iter=iterations)} on a logical weight. */
    public static Result run(float[] w, int out, int in, int r, int iterations, Quantizer quantizer) {
        if (iterations < 1) {
            throw new ConfigException("loftq_config.loftq_iter: must be >= 1, was " + iterations);
        }
        float[] res = w.clone();
        float[] input = res;
        float[] quantized = null;
        float[] a = null;
        float[] b = null;
        for (int round = 0; round < iterations; round++) {
            input = res;
            quantized = quantizer.roundTrip(res, out, in);
            double[] error = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                error[i] = (double) w[i] - quantized[i];
            }
            Svd.Result svd = Svd.decompose(error, out, in);
            a = new float[r * in];
            b = new float[out * r];
            int kept = Math.min(r, svd.s().length);
            for (int k = 0; k < kept; k++) {
                double root = Math.sqrt(svd.s()[k]);
                for (int i = 0; i < in; i++) {
                    a[k * in + i] = (float) (root * svd.v()[i][k]);
                }
                for (int o = 0; o < out; o++) {
                    b[o * r + k] = (float) (svd.u()[o][k] * root);
                }
            }
            if (round + 1 < iterations) {
                res = new float[w.length];
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double product = 0;
                        for (int k = 0; k < r; k++) {
                            product += (double) b[o * r + k] * a[k * in + i];
                        }
                        res[o * in + i] = (float) (w[o * in + i] - product);
                    }
                }
            }
        }
        return new Result(input, quantized, a, b);
    }

    /**
     * LoftQ of every module {@code config} adapts in {@code model} (float weights, before any quantisation), at
     * the module's rank, by module name: what {@code qlora} quantises its base from and starts LoRA with.
     */
    public static Map<String, Result> forTargets(CausalLM model, LoraConfig config, Quantizer quantizer) {
        List<String> targets = new ArrayList<>();
        LoraInjector.selectTargets(model, config, targets);
        Map<String, Result> results = new LinkedHashMap<>();
        for (String name : targets) {
            Linear layer = model.linears().get(name);
            int r = config.rankFor(name);
            results.put(name, run(logical(layer, r), layer.outFeatures(), layer.inFeatures(), r, config.loftqIter(),
                    quantizer));
        }
        return results;
    }

    /** The layer's weight as logical {@code [out, in]} floats; refuses a rank above {@code min(in, out)}. */
    static float[] logical(Linear base, int r) {
        int in = base.inFeatures();
        int out = base.outFeatures();
        if (r > Math.min(in, out)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "init_lora_weights: loftq needs r <= min(in, out); module '%s' is %d -> %d but r is %d",
                    base.name(), in, out, r));
        }
        float[] stored = base.weight().toFloatArray();
        if (!base.transposed()) {
            return stored;
        }
        float[] logical = new float[stored.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                logical[o * in + i] = stored[i * out + o];
            }
        }
        return logical;
    }

    /** {@code logical} {@code [out, in]} back in the layer's stored layout. */
    static float[] stored(Linear base, float[] logical) {
        if (!base.transposed()) {
            return logical;
        }
        int in = base.inFeatures();
        int out = base.outFeatures();
        float[] stored = new float[logical.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                stored[i * out + o] = logical[o * in + i];
            }
        }
        return stored;
    }
}
