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
 * and PEFT's {@code merge_utils} types (see {@link AdapterMerging}), all ranks equal, on the factors as in
 * {@code _generalized_task_arithmetic_weighted_adapter}: the {@code A_i} are merged with weights
 * {@code sign(w_i s_i)·sqrt(|w_i s_i|)} and the {@code B_i} with {@code sqrt(|w_i s_i|)}, each set on its own:
 * <ul>
 *   <li>{@code magnitude_prune}: each factor keeps its {@code int(density·n)} largest-magnitude entries, then the
 *       weighted sum.</li>
 *   <li>{@code ties}: the same trim, then per entry the sign of the pruned (unweighted) values' sum
 *       ({@code majority_sign_method: total}) or of their sign count ({@code frequency}) is elected, and the
 *       weighted entries of that sign are averaged (disjoint merge).</li>
 *   <li>{@code dare_linear} / {@code dare_ties}: each entry kept with probability {@code density} and divided by
 *       it (seeded), then the weighted sum / the TIES election and disjoint merge.</li>
 *   <li>{@code ties_svd}, {@code dare_linear_svd}, {@code dare_ties_svd}, {@code magnitude_prune_svd}: the same
 *       merges applied to the delta weights {@code Δ_i} with weights {@code w_i s_i}, then the SVD as {@code svd}.</li>
 * </ul>
 * The new adapter has PEFT's new config: the first adapter's, with {@code r = lora_alpha = new rank}, the union
 * of the target modules and no rank or alpha pattern; so its own scaling is 1 ({@code sqrt(r)} with rsLoRA).
 * A layer only some of the adapters adapt combines those; in {@code cat} its unused rows stay zero.
 */
final class LoraCombination {
    /** Combination types this class implements (PEFT v0.20's {@code add_weighted_adapter}). */
    static final List<String> TYPES = List.of("linear", "cat", "svd", "ties", "dare_linear", "dare_ties",
            "magnitude_prune", "ties_svd", "dare_linear_svd", "dare_ties_svd", "magnitude_prune_svd");
    /** Types that need {@code density}. */
    private static final List<String> PRUNING = List.of("ties", "dare_linear", "dare_ties", "magnitude_prune");
    /** Types whose adapters must share one rank (PEFT's {@code _check_add_weighted_adapter}). */
    private static final List<String> SAME_RANK = List.of("linear", "ties", "dare_linear", "dare_ties", "magnitude_prune");

    /**
     * PEFT's optional arguments of {@code add_weighted_adapter}.
     *
     * @param svdRank rank of the {@code *svd} types' result; null for the largest rank
     * @param density fraction of entries kept, in [0, 1]; required by the pruning types, ignored otherwise
     * @param majoritySignMethod {@code total} (PEFT's default) or {@code frequency}
     * @param seed seeds DARE's random drop
     */
    record Options(Integer svdRank, Double density, String majoritySignMethod, long seed) {
        static final Options DEFAULT = new Options(null, null, "total", 0);
    }

    /**
     * @param type the effective combination type ({@code linear} for one adapter)
     * @param rank the new adapter's rank
     * @param config the new adapter's settings
     * @param savedTargets its recorded {@code target_modules}
     * @param options density and sign method of the pruning types
     * @param random DARE's generator, shared by every layer in model order
     */
    record Plan(String type, int rank, LoraConfig config, Object savedTargets, Options options,
                java.util.SplittableRandom random) {}

    /** {@code a [r, in]}, {@code b [out, r]} row-major. */
    record Factors(float[] a, float[] b) {}

    private LoraCombination() {}

    static Plan plan(List<String> names, List<LoraConfig> configs, String combinationType, Options options,
                     List<Object> savedTargets) {
        if (!TYPES.contains(combinationType)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "combination_type: must be one of %s, was '%s'", TYPES, combinationType));
        }
        boolean pruning = PRUNING.contains(combinationType.replace("_svd", ""));
        Double density = options.density();
        if (pruning && (density == null || !(density >= 0 && density <= 1))) {
            throw new ConfigException(String.format(Locale.ROOT, "density: combination '%s' needs a density in "
                    + "[0, 1] (the fraction of entries kept), was %s", combinationType, density));
        }
        if (pruning && combinationType.startsWith("dare") && density == 0) {
            throw new ConfigException("density: must be > 0 for '" + combinationType + "' (DARE divides by it), was 0");
        }
        if (!List.of("total", "frequency").contains(options.majoritySignMethod())) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "majority_sign_method: must be one of [total, frequency], was '%s'", options.majoritySignMethod()));
        }
        Integer svdRank = options.svdRank();
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
        if (SAME_RANK.contains(type)) {
            if (new TreeSet<>(ranks).size() != 1) {
                throw new ConfigException(String.format(Locale.ROOT, "combination '%s' needs adapters of one rank, "
                        + "but %s have ranks %s; use 'cat' (or 'svd')", type, names, ranks));
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
        return new Plan(type, rank, config, targets, options, new java.util.SplittableRandom(options.seed()));
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
            case "linear", "ties", "dare_linear", "dare_ties", "magnitude_prune" -> {
                generalized(plan, layer, names, weights, a, b);
            }
            default -> svd(plan, layer, names, weights, rank, a, b);
        }
        return new Factors(toFloat(a), toFloat(b));
    }

    /**
     * PEFT's {@code _generalized_task_arithmetic_weighted_adapter}: the A factors merged with weights
     * {@code sign·sqrt(|w s|)}, then the B factors with {@code sqrt(|w s|)}, by {@link AdapterMerging}.
     */
    private static void generalized(Plan plan, LoraLinear layer, List<String> names, List<Double> weights,
                                    double[] a, double[] b) {
        List<double[]> factorsA = new ArrayList<>();
        List<double[]> factorsB = new ArrayList<>();
        List<Double> weightsA = new ArrayList<>();
        List<Double> weightsB = new ArrayList<>();
        for (int n = 0; n < names.size(); n++) {
            LoraLinear.Adapter adapter = layer.adapter(names.get(n));
            if (adapter == null) {
                continue;
            }
            if (adapter.rank() != plan.rank()) {
                throw new ConfigException(String.format(Locale.ROOT, "combination '%s': adapter '%s' has rank %d in %s, "
                        + "the combination rank %d", plan.type(), names.get(n), adapter.rank(), layer.name(), plan.rank()));
            }
            double scaled = weights.get(n) * adapter.scalingValue();
            // PEFT supports negative weights by putting the sign on A only.
            double root = Math.sqrt(Math.abs(scaled));
            weightsA.add(scaled >= 0 ? root : -root);
            weightsB.add(root);
            factorsA.add(toDouble(adapter.a().toFloatArray()));
            factorsB.add(toDouble(adapter.b().toFloatArray()));
        }
        double density = plan.options().density() == null ? 1 : plan.options().density();
        String method = plan.options().majoritySignMethod();
        double[] mergedA = AdapterMerging.merge(plan.type(), factorsA, unbox(weightsA), density, method, plan.random());
        double[] mergedB = AdapterMerging.merge(plan.type(), factorsB, unbox(weightsB), density, method, plan.random());
        System.arraycopy(mergedA, 0, a, 0, a.length);
        System.arraycopy(mergedB, 0, b, 0, b.length);
    }

    private static double[] toDouble(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    private static double[] unbox(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * PEFT's {@code _svd_generalized_task_arithmetic_weighted_adapter}: the delta weights {@code Δ_i = s_i B_i A_i}
     * (logical {@code [out, in]}) merged with weights {@code w_i s_i} ({@code svd}: their weighted sum, so the
     * scaling enters twice, as in PEFT; {@code <type>_svd}: {@link AdapterMerging}), then the top-{@code rank}
     * singular triplets.
     */
    private static void svd(Plan plan, LoraLinear layer, List<String> names, List<Double> weights, int rank,
                            double[] a, double[] b) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        List<double[]> deltas = new ArrayList<>();
        List<Double> scaledWeights = new ArrayList<>();
        for (int n = 0; n < names.size(); n++) {
            LoraLinear.Adapter adapter = layer.adapter(names.get(n));
            if (adapter == null) {
                continue;
            }
            int r = adapter.rank();
            float[] an = adapter.a().toFloatArray();
            float[] bn = adapter.b().toFloatArray();
            double[] delta = new double[out * in];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) bn[o * r + k] * an[k * in + i];
                    }
                    delta[o * in + i] = adapter.scalingValue() * sum;
                }
            }
            deltas.add(delta);
            scaledWeights.add(weights.get(n) * adapter.scalingValue());
        }
        double density = plan.options().density() == null ? 1 : plan.options().density();
        String type = plan.type().equals("svd") ? "svd" : plan.type().substring(0, plan.type().length() - "_svd".length());
        double[] delta = AdapterMerging.merge(type, deltas, unbox(scaledWeights), density,
                plan.options().majoritySignMethod(), plan.random());
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

    private static float[] toFloat(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }
}
