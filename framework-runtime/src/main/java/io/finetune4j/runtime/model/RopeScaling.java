package io.finetune4j.runtime.model;

import io.finetune4j.api.ConfigException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * RoPE inverse frequencies with the checkpoint's {@code rope_scaling} (or transformers 5's
 * {@code rope_parameters}), as transformers' {@code modeling_rope_utils} computes them:
 * <ul>
 *   <li>{@code default}: {@code inv_freq[i] = 1 / theta^(2i / d)};</li>
 *   <li>{@code linear}: {@code inv_freq / factor} (positions interpolated by {@code factor});</li>
 *   <li>{@code llama3} (Llama 3.1 / 3.2): wavelengths {@code 2π / inv_freq} longer than
 *       {@code original_max_position_embeddings / low_freq_factor} are divided by {@code factor}, shorter
 *       than {@code original_max_position_embeddings / high_freq_factor} kept, and those between blended
 *       with {@code s = (original / wavelen − low) / (high − low)}: {@code (1 − s)·f/factor + s·f}.</li>
 * </ul>
 * Both leave the attention scaling at 1. Dynamic NTK, YaRN and LongRoPE change it or depend on the
 * sequence length; they are refused with the supported list.
 */
public final class RopeScaling {
    public static final List<String> SUPPORTED = List.of("default", "linear", "llama3");

    private RopeScaling() {}

    /** The scaling map of a raw config: {@code rope_scaling}, else {@code rope_parameters}, else null. */
    public static Map<?, ?> of(RawConfig raw) {
        Object scaling = raw.get("rope_scaling");
        if (scaling == null) {
            scaling = raw.get("rope_parameters");
        }
        return scaling instanceof Map<?, ?> map ? map : null;
    }

    public static String type(Map<?, ?> scaling) {
        if (scaling == null) {
            return "default";
        }
        Object type = scaling.get("rope_type") != null ? scaling.get("rope_type") : scaling.get("type");
        return type == null ? "default" : type.toString();
    }

    /** float32 inverse frequencies of a {@code headDim}-wide rotary embedding. */
    public static float[] inverseFrequencies(int headDim, double theta, Map<?, ?> scaling, String source) {
        float[] invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), in float32
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = 1.0f / (float) Math.pow((float) theta, exponent);
        }
        String type = type(scaling);
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                float factor = (float) number(scaling, "factor", source);
                for (int i = 0; i < invFreq.length; i++) {
                    invFreq[i] = invFreq[i] / factor;
                }
            }
            case "llama3" -> llama3(invFreq, scaling, source);
            default -> throw new ConfigException(String.format(Locale.ROOT,
                    "%s: rope_scaling type '%s' is not supported; supported: %s", source, type, SUPPORTED));
        }
        return invFreq;
    }

    private static void llama3(float[] invFreq, Map<?, ?> scaling, String source) {
        double factor = number(scaling, "factor", source);
        double low = number(scaling, "low_freq_factor", source);
        double high = number(scaling, "high_freq_factor", source);
        double original = number(scaling, "original_max_position_embeddings", source);
        if (high <= low) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: rope_scaling.high_freq_factor (%s) must be "
                    + "greater than low_freq_factor (%s)", source, high, low));
        }
        double lowFreqWavelen = original / low;
        double highFreqWavelen = original / high;
        for (int i = 0; i < invFreq.length; i++) {
            float f = invFreq[i];
            // torch evaluates these on float32 tensors with Python-float scalars.
            float wavelen = (float) (2 * Math.PI) / f;
            float scaled = wavelen > lowFreqWavelen ? (float) (f / factor) : f;
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (float) ((original / wavelen - low) / (high - low));
                scaled = (1 - smooth) * scaled / (float) factor + smooth * scaled;
            }
            invFreq[i] = scaled;
        }
    }

    private static double number(Map<?, ?> scaling, String key, String source) {
        Object value = scaling.get(key);
        if (!(value instanceof Number number) || !(number.doubleValue() > 0)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: rope_scaling.%s must be a number > 0 for "
                    + "rope type '%s', was %s", source, key, type(scaling), value));
        }
        return number.doubleValue();
    }
}
