package io.finetune4j.peft.adalora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RankAllocatorTest {
    private static List<RankAllocator.Triplet> triplets(NDManager manager, int modules, int r, int in, int out, long seed) {
        Random random = new Random(seed);
        List<RankAllocator.Triplet> triplets = new ArrayList<>();
        for (int m = 0; m < modules; m++) {
            triplets.add(new RankAllocator.Triplet("m" + m, manager.create(gaussian(random, r * in), new Shape(r, in)),
                    manager.create(gaussian(random, r), new Shape(r, 1)),
                    manager.create(gaussian(random, out * r), new Shape(out, r))));
        }
        return triplets;
    }

    private static float[] gaussian(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static List<NDArray[]> gradients(NDManager manager, List<RankAllocator.Triplet> triplets, long seed) {
        Random random = new Random(seed);
        List<NDArray[]> gradients = new ArrayList<>();
        for (RankAllocator.Triplet triplet : triplets) {
            NDArray[] parameters = triplet.parameters();
            NDArray[] g = new NDArray[3];
            for (int k = 0; k < 3; k++) {
                g[k] = manager.create(gaussian(random, Math.toIntExact(parameters[k].size())), parameters[k].getShape());
            }
            gradients.add(g);
        }
        return gradients;
    }

    @Test
    void budgetScheduleFollowsPeftsCubicBetweenTinitAndTotalMinusTfinal() {
        // 2 modules × init_r 12 = 24 triplets, target 2 × 8 = 16; tinit 3, tfinal 5, total 20, deltaT 2:
        // budget(t) = int(8 · (1 − (t − 3)/12)³ + 16) for 3 < t <= 15, worked out by hand below.
        AdaLoraConfig config = AdaLoraConfig.of(12, 8, 20, List.of("q_proj")).withSchedule(3, 5, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            RankAllocator allocator = new RankAllocator(config, triplets(manager, 2, 12, 4, 3, 1), manager);
            assertThat(allocator.initBudget()).isEqualTo(24);
            assertThat(allocator.targetBudget()).isEqualTo(16);
            Object[][] expected = {
                {0, 24, false}, {3, 24, false},   // warm-up: everything kept, no masking
                {4, 22, true},                    // (11/12)³ = 0.77025 → 8 · 0.77025 = 6.16 → 22
                {5, 20, false},                   // (10/12)³ = 0.57870 → 4.63 → 20; 5 % 2 != 0
                {6, 19, true},                    // (9/12)³ = 0.421875 → 3.375 → 19
                {9, 17, false},                   // (6/12)³ = 0.125 → 1 → 17
                {12, 16, true},                   // (3/12)³ = 0.015625 → 0.125 → 16
                {15, 16, false},                  // coefficient 0 → target; 15 % 2 != 0
                {16, 16, true}, {19, 16, true},   // final phase: target budget, always masked
            };
            for (Object[] row : expected) {
                RankAllocator.Budget budget = allocator.budgetSchedule((int) row[0]);
                assertThat(budget.budget()).as("budget at step %s", row[0]).isEqualTo(row[1]);
                assertThat(budget.mask()).as("mask at step %s", row[0]).isEqualTo(row[2]);
            }
        }
    }

    @Test
    void importanceIsAnEmaOfSensitivityAndUncertaintyAsADoubleLoop() {
        AdaLoraConfig config = AdaLoraConfig.of(2, 1, 10, List.of("q_proj"));
        double beta1 = config.beta1();
        double beta2 = config.beta2();
        try (NDManager manager = NDManager.newBaseManager()) {
            List<RankAllocator.Triplet> triplets = triplets(manager, 1, 2, 3, 2, 5);
            RankAllocator allocator = new RankAllocator(config, triplets, manager);
            NDArray[] parameters = triplets.get(0).parameters();
            double[][] avg = new double[3][];
            double[][] unc = new double[3][];
            for (int k = 0; k < 3; k++) {
                avg[k] = new double[Math.toIntExact(parameters[k].size())];
                unc[k] = new double[avg[k].length];
            }
            for (int update = 0; update < 3; update++) {
                List<NDArray[]> gradients = gradients(manager, triplets, 100 + update);
                allocator.updateImportance(gradients);
                for (int k = 0; k < 3; k++) {
                    float[] p = parameters[k].toFloatArray();
                    float[] g = gradients.get(0)[k].toFloatArray();
                    for (int j = 0; j < p.length; j++) {
                        double ipt = Math.abs((double) p[j] * g[j]);
                        avg[k][j] = beta1 * avg[k][j] + (1 - beta1) * ipt;
                        unc[k][j] = beta2 * unc[k][j] + (1 - beta2) * Math.abs(ipt - avg[k][j]);
                    }
                    float[] actualAvg = allocator.expAvgIpt(0, k);
                    float[] actualUnc = allocator.expAvgUnc(0, k);
                    for (int j = 0; j < p.length; j++) {
                        assertThat((double) actualAvg[j]).as("Ī[%d][%d] after %d", k, j, update).isCloseTo(avg[k][j], within(1e-6));
                        assertThat((double) actualUnc[j]).as("Ū[%d][%d] after %d", k, j, update).isCloseTo(unc[k][j], within(1e-6));
                    }
                }
                // the parameters move between updates, as the optimizer would move them
                for (NDArray parameter : parameters) {
                    parameter.set(gaussian(new Random(200 + update), Math.toIntExact(parameter.size())));
                }
            }
            // s_i = Ī·Ū of E_i + mean_j (Ī·Ū of A_ij) + mean_j (Ī·Ū of B_ji), with r = 2, in = 3, out = 2
            float[] scores = allocator.tripletScores().get("m0");
            for (int i = 0; i < 2; i++) {
                double a = 0;
                for (int j = 0; j < 3; j++) {
                    a += avg[0][i * 3 + j] * unc[0][i * 3 + j];
                }
                double b = 0;
                for (int j = 0; j < 2; j++) {
                    b += avg[2][j * 2 + i] * unc[2][j * 2 + i];
                }
                double expected = avg[1][i] * unc[1][i] + a / 3 + b / 2;
                assertThat((double) scores[i]).as("score %d", i).isCloseTo(expected, within(1e-6));
            }
        }
    }

    @Test
    void maskingKeepsExactlyTheBudgetAndZeroesTheLowestScoredE() {
        AdaLoraConfig config = AdaLoraConfig.of(4, 2, 10, List.of("q_proj"));
        try (NDManager manager = NDManager.newBaseManager()) {
            List<RankAllocator.Triplet> triplets = triplets(manager, 3, 4, 5, 3, 7);
            RankAllocator allocator = new RankAllocator(config, triplets, manager);
            allocator.updateImportance(gradients(manager, triplets, 11));
            allocator.updateImportance(gradients(manager, triplets, 12));
            Map<String, float[]> scores = allocator.tripletScores();
            float[] all = new float[12];
            int at = 0;
            for (float[] module : scores.values()) {
                System.arraycopy(module, 0, all, at, 4);
                at += 4;
            }
            float[] sorted = all.clone();
            Arrays.sort(sorted);
            assertThat(sorted).doesNotHaveDuplicates();
            float[][] eBefore = triplets.stream().map(t -> t.e().toFloatArray()).toArray(float[][]::new);

            Map<String, List<Boolean>> pattern = allocator.maskToBudget(5);

            long kept = pattern.values().stream().flatMap(List::stream).filter(Boolean::booleanValue).count();
            assertThat(kept).isEqualTo(5);
            float fifthLargest = sorted[12 - 5];
            for (int m = 0; m < 3; m++) {
                List<Boolean> mask = pattern.get("m" + m + ".lora_E");
                float[] e = triplets.get(m).e().toFloatArray();
                for (int i = 0; i < 4; i++) {
                    boolean shouldKeep = scores.get("m" + m)[i] >= fifthLargest;
                    assertThat(mask.get(i)).as("m%d triplet %d", m, i).isEqualTo(shouldKeep);
                    assertThat(e[i]).as("E of m%d triplet %d", m, i).isEqualTo(shouldKeep ? eBefore[m][i] : 0f);
                }
            }
        }
    }
}
