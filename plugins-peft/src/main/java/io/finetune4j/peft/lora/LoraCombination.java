package io.finetune4j.peft.lora;

import io.finetune4j.api.ConfigException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The arithmetic of PEFT's {@code LoraModel.add_weighted_adapter} (peft/src/peft/tuners/lora/model.py:
 * {@code _check_add_weighted_adapter}, {@code add_weighted_adapter},
 * {@code _generalized_task_arithmetic_weighted_adapter}, {@code _svd_generalized_task_arithmetic_weighted_adapter}),
 * per layer and in double precision on the float32 factors. With {@code s_i} adapter {@code i}'s scaling in that
 * layer and {@code w_i} its weight:
 * <ul>
 *   <li>{@code linear} (all ranks equal): {@code A = Σ sign(w_i s_i)·sqrt(|w_i s_i|)·A_i},
 *       {@code B = Σ sqrt(|w_i s_i|)·B_i}. A and B are summed separately, so the update {@code B·A} holds cross
 *       terms {@code B_i·A_j} and is <em>not</em> the weighted sum of the adapters' updates (unless one adapter).</li>
 *   <li>{@code cat}: {@code A = [w_1 s_1 A_1; w_2 s_2 A_2; ...]} (rows), {@code B = [B_1, B_2, ...]} (columns), rank
 *       {@code Σ r_i}: exactly {@code Σ w_i s_i B_i A_i}.</li>
 *   <li>{@code svd}: the top-{@code r} singular triplets ({@code r} = {@code svd_rank} or the largest rank) of
 *       {@code Σ (w_i s_i)·Δ_i} where {@code Δ_i = s_i B_i A_i} is PEFT's {@code get_delta_weight}, so the scaling
 *       enters twice, as in PEFT; {@code B = U·diag(S)}, {@code A = Vᵀ}.</li>
 * </ul>
 * The new adapter has PEFT's new config: the first adapter's, with {@code r = lora_alpha = new rank}, the union
 * of the target modules and no rank or alpha pattern; so its own scaling is 1 ({@code sqrt(r)} with rsLoRA).
 * A layer only some of the adapters adapt combines those; in {@code cat} its unused rows stay zero.
 */
final class LoraCombination {
    /** Combination types this class implements. */
    static final List<String> TYPES = List.of("linear", "cat", "svd");

    /**
     * @param type the effective combination type ({@code linear} for one adapter)
     * @param rank the new adapter's rank
     * @param config the new adapter's settings
     * @param savedTargets its recorded {@code target_modules}
     */
    record Plan(String type, int rank, LoraConfig config, Object savedTargets) {}

    /** {@code a [r, in]}, {@code b [out, r]} row-major. */
    record Factors(float[] a, float[] b) {}

    private LoraCombination() {}

    static Plan plan(List<String> names, List<LoraConfig> configs, String combinationType, Integer svdRank,
                     List<Object> savedTargets) {
        if (!TYPES.contains(combinationType)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "combination_type: must be one of %s, was '%s'", TYPES, combinationType));
        }
        String type = names.size() == 1 ? "linear" : combinationType;
        List<Integer> ranks = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            LoraConfig config = configs.get(i);
            if (config.useDora()) {
                throw new ConfigException("adapter '" + names.get(i) + "' uses DoRA; add_weighted_adapter combines "
                        + "plain LoRA adapters only");
            }
            // PEFT sizes the new tensors by the largest rank an adapter may have.
            ranks.add(config.rankPattern().values().stream().reduce(config.r(), Math::max));
        }
        int rank;
        if (type.equals("linear")) {
            if (new TreeSet<>(ranks).size() != 1) {
                throw new ConfigException(String.format(Locale.ROOT, "combination 'linear' needs adapters of one rank, "
                        + "but %s have ranks %s; use 'cat' (or 'svd')", names, ranks));
            }
            rank = ranks.get(0);
        } else if (type.equals("cat")) {
            rank = ranks.stream().mapToInt(Integer::intValue).sum();
        } else {
            rank = svdRank != null ? svdRank : ranks.stream().mapToInt(Integer::intValue).max().orElseThrow();
        }
        Object targets = unionOfTargets(names, savedTargets);
        LoraConfig first = configs.get(0);
        LoraConfig config = new LoraConfig(rank, rank, first.loraDropout(), targets, first.excludeModules(), "none",
                first.useRslora(), true, Map.of(), Map.of(), first.layersToTransform(), first.layersPattern(),
                List.of(), false);
        return new Plan(type, rank, config, targets);
    }

    /** PEFT: all lists gives their union, all regexes {@code (a)|(b)}, a mix is an error. */
    private static Object unionOfTargets(List<String> names, List<Object> targets) {
        boolean strings = targets.stream().allMatch(String.class::isInstance);
        if (strings) {
            return String.join("|", targets.stream().map(target -> "(" + target + ")").toList());
        }
        if (targets.stream().anyMatch(String.class::isInstance)) {
            throw new ConfigException("adapters " + names + " mix list and regex target_modules (" + targets
                    + "); PEFT cannot combine those");
        }
        TreeSet<String> union = new TreeSet<>();
        targets.forEach(target -> ((Collection<?>) target).forEach(entry -> union.add(String.valueOf(entry))));
        return List.copyOf(union);
    }

    /** The new adapter's factors in {@code layer}, from those of {@code names} it holds. */
    static Factors combine(Plan plan, LoraLinear layer, List<String> names, List<Double> weights) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        int rank = plan.rank();
        double[] a = new double[rank * in];   // [r, in]
        double[] b = new double[out * rank];  // [out, r]
        switch (plan.type()) {
            case "cat" -> {
                int offset = 0;
                for (int n = 0; n < names.size(); n++) {
                    LoraLinear.Adapter adapter = layer.adapter(names.get(n));
                    if (adapter == null) {
                        continue;
                    }
                    int r = adapter.rank();
                    double factor = weights.get(n) * adapter.scalingValue();
                    float[] an = adapter.a().toFloatArray();
                    float[] bn = adapter.b().toFloatArray();
                    for (int k = 0; k < r; k++) {
                        for (int i = 0; i < in; i++) {
                            a[(offset + k) * in + i] = an[k * in + i] * factor;
                        }
                        for (int o = 0; o < out; o++) {
                            b[o * rank + offset + k] = bn[o * r + k];
                        }
                    }
                    offset += r;
                }
            }
            case "linear" -> {
                for (int n = 0; n < names.size(); n++) {
                    LoraLinear.Adapter adapter = layer.adapter(names.get(n));
                    if (adapter == null) {
                        continue;
                    }
                    if (adapter.rank() != rank) {
                        throw new ConfigException(String.format(Locale.ROOT, "combination 'linear': adapter '%s' has "
                                + "rank %d in %s, the combination rank %d", names.get(n), adapter.rank(), layer.name(), rank));
                    }
                    double scaled = weights.get(n) * adapter.scalingValue();
                    // PEFT supports negative weights by putting the sign on A only.
                    double weightB = Math.sqrt(Math.abs(scaled));
                    double weightA = scaled >= 0 ? weightB : -weightB;
                    addScaled(a, adapter.a().toFloatArray(), weightA);
                    addScaled(b, adapter.b().toFloatArray(), weightB);
                }
            }
            default -> svd(layer, names, weights, rank, a, b);
        }
        return new Factors(toFloat(a), toFloat(b));
    }

    /** PEFT's SVD combination of {@code Σ (w_i s_i)·(s_i B_i A_i)} over the logical {@code [out, in]} layout. */
    private static void svd(LoraLinear layer, List<String> names, List<Double> weights, int rank, double[] a,
                            double[] b) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        double[] delta = new double[out * in];
        for (int n = 0; n < names.size(); n++) {
            LoraLinear.Adapter adapter = layer.adapter(names.get(n));
            if (adapter == null) {
                continue;
            }
            int r = adapter.rank();
            double factor = weights.get(n) * adapter.scalingValue() * adapter.scalingValue();
            float[] an = adapter.a().toFloatArray();
            float[] bn = adapter.b().toFloatArray();
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) bn[o * r + k] * an[k * in + i];
                    }
                    delta[o * in + i] += factor * sum;
                }
            }
        }
        Svd.Result svd = Svd.decompose(delta, out, in);
        int kept = Math.min(rank, svd.s().length);
        for (int k = 0; k < kept; k++) {
            for (int o = 0; o < out; o++) {
                b[o * rank + k] = svd.u()[o][k] * svd.s()[k];
            }
            for (int i = 0; i < in; i++) {
                a[k * in + i] = svd.v()[i][k];
            }
        }
    }

    private static void addScaled(double[] target, float[] values, double factor) {
        for (int i = 0; i < values.length; i++) {
            target[i] += values[i] * factor;
        }
    }

    private static float[] toFloat(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }
}
