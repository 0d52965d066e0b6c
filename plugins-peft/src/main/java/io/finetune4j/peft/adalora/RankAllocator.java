package io.finetune4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdaLoRA's rank allocator, PEFT's {@code adalora.layer.RankAllocator}:
 * <ul>
 *   <li>importance of every entry of A, E and B: sensitivity {@code ipt = |p · grad|}, smoothed
 *       {@code Ī ← β1·Ī + (1−β1)·ipt}, uncertainty {@code Ū ← β2·Ū + (1−β2)·|ipt − Ī|} (paper eq. 8-9,
 *       {@code update_ipt}); an entry scores {@code Ī·Ū};</li>
 *   <li>triplet score {@code s_i = score(E_i) + mean_j score(A_ij) + mean_j score(B_ji)} (paper eq. 10,
 *       {@code mask_to_budget}/{@code _combine_ipt});</li>
 *   <li>the cubic budget schedule ({@link #budgetSchedule}) and masking: every triplet whose score is at most
 *       the {@code (init_bgt − budget)}-th smallest score over all modules gets {@code E_i = 0}.</li>
 * </ul>
 * The EMA state is float32 arrays in a sub-manager of the method's; scores are reduced in Java.
 */
final class RankAllocator implements AutoCloseable {
    /** One adapted module's trainable triplet arrays. */
    record Triplet(String module, NDArray a, NDArray e, NDArray b) {
        NDArray[] parameters() {
            return new NDArray[] {a, e, b};
        }

        int rank() {
            return Math.toIntExact(a.getShape().get(0));
        }
    }

    /** What {@link #budgetSchedule} returns: the number of triplets kept, and whether to mask this step. */
    record Budget(int budget, boolean mask) {}

    private final AdaLoraConfig config;
    private final List<Triplet> triplets;
    private final NDManager parent;
    private final int initBudget;
    private final int targetBudget;
    private NDManager state;
    /** Per triplet, per parameter (A, E, B): Ī and Ū; null until the first update (PEFT's reset_ipt). */
    private NDArray[][] expAvgIpt;
    private NDArray[][] expAvgUnc;

    /**
     * PEFT's {@code _set_budget_scheduler}: the initial budget is the sum of the modules' ranks, the target
     * {@code target_r} per module.
     */
    RankAllocator(AdaLoraConfig config, List<Triplet> triplets, NDManager parent) {
        this.config = config;
        this.triplets = List.copyOf(triplets);
        this.parent = parent;
        this.initBudget = triplets.stream().mapToInt(Triplet::rank).sum();
        this.targetBudget = config.targetR() * triplets.size();
    }

    int initBudget() {
        return initBudget;
    }

    int targetBudget() {
        return targetBudget;
    }

    /**
     * PEFT's {@code budget_schedule}: {@code init_bgt} without masking up to {@code tinit}; {@code target_bgt}
     * with masking after {@code total_step − tfinal}; in between the cubic decay
     * {@code int((init − target)·(1 − (t − tinit)/(total − tfinal − tinit))³ + target)}, masking every
     * {@code deltaT} steps.
     */
    Budget budgetSchedule(int step) {
        int tinit = config.tinit();
        int tfinal = config.tfinal();
        int total = config.totalStep();
        if (step <= tinit) {
            return new Budget(initBudget, false);
        }
        if (step > total - tfinal) {
            return new Budget(targetBudget, true);
        }
        // Python: 1 - (step - tinit) / (total_step - tfinal - tinit), float division in double
        double coefficient = 1 - (double) (step - tinit) / (total - tfinal - tinit);
        int budget = (int) ((initBudget - targetBudget) * (coefficient * coefficient * coefficient) + targetBudget);
        return new Budget(budget, step % config.deltaT() == 0);
    }

    /**
     * PEFT's {@code update_ipt} with {@code gradients[i]} the {A, E, B} gradients of triplet i (the current
     * values of the parameters are read from the arrays themselves).
     */
    void updateImportance(List<NDArray[]> gradients) {
        if (expAvgIpt == null) {
            state = parent.newSubManager();
            expAvgIpt = new NDArray[triplets.size()][3];
            expAvgUnc = new NDArray[triplets.size()][3];
            for (int i = 0; i < triplets.size(); i++) {
                NDArray[] parameters = triplets.get(i).parameters();
                for (int k = 0; k < 3; k++) {
                    expAvgIpt[i][k] = state.zeros(parameters[k].getShape());
                    expAvgUnc[i][k] = state.zeros(parameters[k].getShape());
                }
            }
        }
        try (NDManager scratch = state.newSubManager()) {
            NDArray beta1 = scratch.create((float) config.beta1());
            NDArray oneMinusBeta1 = scratch.create((float) (1 - config.beta1()));
            NDArray beta2 = scratch.create((float) config.beta2());
            NDArray oneMinusBeta2 = scratch.create((float) (1 - config.beta2()));
            for (int i = 0; i < triplets.size(); i++) {
                NDArray[] parameters = triplets.get(i).parameters();
                for (int k = 0; k < 3; k++) {
                    NDArray gradient = gradients.get(i)[k].duplicate();   // leads, so results join scratch
                    gradient.attach(scratch);
                    NDArray ipt = gradient.mul(parameters[k]).abs();
                    NDArray avg = expAvgIpt[i][k];
                    avg.muli(beta1).addi(ipt.mul(oneMinusBeta1));
                    NDArray deviation = ipt.sub(avg).abs();
                    expAvgUnc[i][k].muli(beta2).addi(deviation.mul(oneMinusBeta2));
                }
            }
        }
    }

    /**
     * Every triplet's score {@code s_i}, per module: PEFT's {@code _element_score} ({@code Ī·Ū}, float32) reduced
     * as {@code mask_to_budget} does (mean over A's columns and B's rows), then {@code E + (A + B)}.
     */
    Map<String, float[]> tripletScores() {
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (int i = 0; i < triplets.size(); i++) {
            Triplet triplet = triplets.get(i);
            int r = triplet.rank();
            float[] a = elementScores(i, 0);
            float[] e = elementScores(i, 1);
            float[] b = elementScores(i, 2);
            int in = r == 0 ? 0 : a.length / r;
            int out = r == 0 ? 0 : b.length / r;
            float[] score = new float[r];
            for (int row = 0; row < r; row++) {
                double sumA = 0;
                for (int j = 0; j < in; j++) {
                    sumA += a[row * in + j];
                }
                double sumB = 0;
                for (int j = 0; j < out; j++) {
                    sumB += b[j * r + row];
                }
                float meanA = (float) (sumA / in);
                float meanB = (float) (sumB / out);
                score[row] = e[row] + (meanA + meanB);
            }
            scores.put(triplet.module(), score);
        }
        return scores;
    }

    private float[] elementScores(int triplet, int parameter) {
        float[] avg = expAvgIpt[triplet][parameter].toFloatArray();
        float[] unc = expAvgUnc[triplet][parameter].toFloatArray();
        float[] score = new float[avg.length];
        for (int j = 0; j < score.length; j++) {
            score[j] = avg[j] * unc[j];
        }
        return score;
    }

    /** True once {@link #updateImportance} ran since the last {@link #resetImportance}. */
    boolean hasImportance() {
        return expAvgIpt != null;
    }

    /**
     * PEFT's {@code mask_to_budget}: the threshold is the {@code k = init_bgt − budget}-th smallest triplet
     * score ({@code torch.kthvalue}); every triplet scoring {@code <=} it gets {@code E_i = 0}. Returns the
     * rank pattern (per {@code <module>.lora_E}, true for a kept triplet). With {@code k <= 0} nothing is
     * masked (PEFT's {@code kthvalue} would raise; it happens only when {@code init_r == target_r}).
     */
    Map<String, List<Boolean>> maskToBudget(int budget) {
        Map<String, float[]> scores = tripletScores();
        int k = initBudget - budget;
        float threshold = Float.NEGATIVE_INFINITY;
        if (k > 0) {
            float[] all = new float[initBudget];
            int at = 0;
            for (float[] module : scores.values()) {
                System.arraycopy(module, 0, all, at, module.length);
                at += module.length;
            }
            Arrays.sort(all);
            threshold = all[k - 1];
        }
        Map<String, List<Boolean>> pattern = new LinkedHashMap<>();
        for (Triplet triplet : triplets) {
            float[] score = scores.get(triplet.module());
            List<Boolean> kept = new ArrayList<>(score.length);
            for (float value : score) {
                kept.add(!(value <= threshold));
            }
            pattern.put(triplet.module() + ".lora_E", kept);
        }
        applyPattern(pattern);
        return pattern;
    }

    /** PEFT's {@code mask_using_rank_pattern}: E_i = 0 wherever the pattern says false. */
    void applyPattern(Map<String, List<Boolean>> pattern) {
        for (Triplet triplet : triplets) {
            List<Boolean> kept = pattern.get(triplet.module() + ".lora_E");
            if (kept == null || kept.size() != triplet.rank()) {
                continue;
            }
            float[] values = triplet.e().toFloatArray();
            boolean changed = false;
            for (int i = 0; i < values.length; i++) {
                if (!kept.get(i) && values[i] != 0f) {
                    values[i] = 0f;
                    changed = true;
                }
            }
            if (changed) {
                triplet.e().set(values);
            }
        }
    }

    /** Ī of one parameter (0 = A, 1 = E, 2 = B) of triplet {@code i}, for tests. */
    float[] expAvgIpt(int i, int parameter) {
        return expAvgIpt[i][parameter].toFloatArray();
    }

    /** Ū of one parameter (0 = A, 1 = E, 2 = B) of triplet {@code i}, for tests. */
    float[] expAvgUnc(int i, int parameter) {
        return expAvgUnc[i][parameter].toFloatArray();
    }

    /** PEFT's {@code reset_ipt}: forgets the importance state. */
    void resetImportance() {
        if (state != null) {
            state.close();
            state = null;
        }
        expAvgIpt = null;
        expAvgUnc = null;
    }

    List<Triplet> triplets() {
        return triplets;
    }

    @Override
    public void close() {
        resetImportance();
    }
}
