package io.finetune4j.peft.lora;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * PEFT v0.20's {@code peft/utils/merge_utils.py} on flat double arrays ("task tensors", one per adapter, all the
 * same length): {@code task_arithmetic}, {@code magnitude_prune}, {@code ties} (Yadav et al., 2023: trim, elect
 * sign, disjoint merge), {@code dare_linear} and {@code dare_ties} (Yu et al., 2023: random drop with rescale).
 * DARE's Bernoulli mask comes from the generator given (PEFT uses torch's global generator), one draw per element,
 * task tensor after task tensor.
 */
final class AdapterMerging {
    private AdapterMerging() {}

    /** {@code merge_utils.<type>(tensors, weights, density, majority_sign_method)}; {@code type} without {@code _svd}. */
    static double[] merge(String type, List<double[]> tensors, double[] weights, double density, String signMethod,
                          SplittableRandom random) {
        return switch (type) {
            case "linear", "svd" -> weightedSum(tensors, weights);
            case "magnitude_prune" -> weightedSum(pruneEach(tensors, density, false, random), weights);
            case "ties", "dare_ties" -> {
                List<double[]> pruned = pruneEach(tensors, density, type.equals("dare_ties"), random);
                yield disjointMerge(weighted(pruned, weights), majoritySignMask(pruned, signMethod));
            }
            case "dare_linear" -> weightedSum(pruneEach(tensors, density, true, random), weights);
            default -> throw new IllegalArgumentException("unknown merge type " + type);
        };
    }

    private static List<double[]> pruneEach(List<double[]> tensors, double density, boolean random,
                                            SplittableRandom generator) {
        List<double[]> pruned = new ArrayList<>();
        for (double[] tensor : tensors) {
            pruned.add(random ? randomPrune(tensor, density, generator) : magnitudePrune(tensor, density));
        }
        return pruned;
    }

    /**
     * {@code prune(method="magnitude")}: keeps the {@code int(density · n)} entries of largest magnitude
     * ({@code torch.topk}), zeroes the rest; {@code density >= 1} keeps everything.
     */
    static double[] magnitudePrune(double[] tensor, double density) {
        if (density >= 1) {
            return tensor.clone();
        }
        int k = (int) (density * tensor.length);
        Integer[] order = IntStream.range(0, tensor.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(tensor[i])));
        double[] pruned = new double[tensor.length];
        for (int j = 0; j < k; j++) {
            pruned[order[j]] = tensor[order[j]];
        }
        return pruned;
    }

    /** {@code prune(method="random", rescale=True)}: each entry kept with probability {@code density}, then / density. */
    static double[] randomPrune(double[] tensor, double density, SplittableRandom random) {
        if (density >= 1) {
            return tensor.clone();
        }
        double[] pruned = new double[tensor.length];
        for (int i = 0; i < tensor.length; i++) {
            pruned[i] = random.nextDouble() < density ? tensor[i] / density : 0;
        }
        return pruned;
    }

    /**
     * {@code calculate_majority_sign_mask}: per entry the elected sign is that of {@code Σ_t x_t} ({@code total})
     * or of {@code Σ_t sign(x_t)} ({@code frequency}), +1 on a tie at 0; the mask is {@code sign(x_t) == elected}
     * (so zeros are never selected).
     */
    static boolean[][] majoritySignMask(List<double[]> tensors, String method) {
        int n = tensors.get(0).length;
        boolean[][] mask = new boolean[tensors.size()][n];
        for (int i = 0; i < n; i++) {
            double magnitude = 0;
            for (double[] tensor : tensors) {
                magnitude += method.equals("frequency") ? Math.signum(tensor[i]) : tensor[i];
            }
            double elected = magnitude >= 0 ? 1 : -1;
            for (int t = 0; t < tensors.size(); t++) {
                mask[t][i] = Math.signum(tensors.get(t)[i]) == elected;
            }
        }
        return mask;
    }

    /** {@code disjoint_merge}: the mean over the tensors the mask selects per entry ({@code / max(count, 1)}). */
    static double[] disjointMerge(List<double[]> tensors, boolean[][] mask) {
        int n = tensors.get(0).length;
        double[] merged = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            int count = 0;
            for (int t = 0; t < tensors.size(); t++) {
                if (mask[t][i]) {
                    sum += tensors.get(t)[i];
                    count++;
                }
            }
            merged[i] = sum / Math.max(count, 1);
        }
        return merged;
    }

    private static List<double[]> weighted(List<double[]> tensors, double[] weights) {
        List<double[]> weighted = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            double[] tensor = tensors.get(t).clone();
            for (int i = 0; i < tensor.length; i++) {
                tensor[i] *= weights[t];
            }
            weighted.add(tensor);
        }
        return weighted;
    }

    /** {@code task_arithmetic}: {@code Σ_t w_t x_t}. */
    private static double[] weightedSum(List<double[]> tensors, double[] weights) {
        double[] sum = new double[tensors.get(0).length];
        for (int t = 0; t < tensors.size(); t++) {
            double[] tensor = tensors.get(t);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += weights[t] * tensor[i];
            }
        }
        return sum;
    }
}
