package io.finetune4j.peft.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * add_weighted_adapter's merge types against hand computations from PEFT v0.20's peft/utils/merge_utils.py
 * (magnitude_based_pruning, random_pruning, calculate_majority_sign_mask, disjoint_merge, ties, dare_*) and
 * peft/tuners/lora/model.py (_generalized_task_arithmetic_weighted_adapter).
 */
class AdapterMergingTest {
    private static final double[] T1 = {1, -2, 0.5, 3};
    private static final double[] T2 = {-3, 1, 0.4, 2};

    @Test
    void magnitudePruneKeepsTheLargestIntDensityTimesNEntries() {
        // int(0.5 * 4) = 2: |-0.5| and |0.3| survive
        assertThat(AdapterMerging.magnitudePrune(new double[] {0.1, -0.5, 0.3, -0.05}, 0.5))
                .containsExactly(0, -0.5, 0.3, 0);
        // int(0.7 * 4) = 2 as well (truncation, not rounding)
        assertThat(AdapterMerging.magnitudePrune(new double[] {0.1, -0.5, 0.3, -0.05}, 0.7))
                .containsExactly(0, -0.5, 0.3, 0);
        assertThat(AdapterMerging.magnitudePrune(T1, 1.0)).containsExactly(T1);
    }

    /**
     * density 0.75 keeps 3 of 4: T1 -> [1, -2, 0, 3], T2 -> [-3, 1, 0, 2]. "total" elects the sign of the sums
     * [-2, -1, 0, 5] -> [-, -, +, +]; T1 is selected at entries 1, 3 and T2 at 0, 3. Weighted by [1, 0.5]:
     * entry 0 = -1.5, entry 1 = -2, entry 2 = 0 (nothing selected, / max(0, 1)), entry 3 = (3 + 1) / 2 = 2.
     */
    @Test
    void tiesElectsTheTotalSignAndAveragesTheAgreeingEntries() {
        double[] merged = AdapterMerging.merge("ties", List.of(T1, T2), new double[] {1, 0.5}, 0.75, "total",
                new SplittableRandom(0));

        assertThat(merged).containsExactly(new double[] {-1.5, -2, 0, 2}, within(1e-12));
    }

    /** "frequency" counts signs: [0, 0, 0, 2] -> all +; T1 agrees at 0, 3 and T2 at 1, 3: [1, 0.5, 0, (3 + 1) / 2]. */
    @Test
    void tiesWithFrequencyElectsTheSignCount() {
        double[] merged = AdapterMerging.merge("ties", List.of(T1, T2), new double[] {1, 0.5}, 0.75, "frequency",
                new SplittableRandom(0));

        assertThat(merged).containsExactly(new double[] {1, 0.5, 0, 2}, within(1e-12));
    }

    /** magnitude_prune is the trim without election: [1, -2, 0, 3] + 0.5 * [-3, 1, 0, 2] = [-0.5, -1.5, 0, 4]. */
    @Test
    void magnitudePruneMergeIsTheWeightedSumOfTrimmedTensors() {
        assertThat(AdapterMerging.merge("magnitude_prune", List.of(T1, T2), new double[] {1, 0.5}, 0.75, "total",
                new SplittableRandom(0))).containsExactly(new double[] {-0.5, -1.5, 0, 4}, within(1e-12));
    }

    @Test
    void dareKeepsAboutDensityOfTheEntriesAndRescalesThem() {
        double[] ones = new double[20_000];
        Arrays.fill(ones, 1);

        double[] pruned = AdapterMerging.randomPrune(ones, 0.3, new SplittableRandom(42));

        long kept = Arrays.stream(pruned).filter(v -> v != 0).count();
        assertThat(kept / 20_000.0).isCloseTo(0.3, within(0.015)); // 5 standard deviations
        assertThat(Arrays.stream(pruned).filter(v -> v != 0)).allSatisfy(v -> assertThat(v).isCloseTo(1 / 0.3, within(1e-12)));
        // dare_linear keeps the expectation: the mean of 2·pruned is about 2
        double[] merged = AdapterMerging.merge("dare_linear", List.of(ones), new double[] {2}, 0.3, "total",
                new SplittableRandom(7));
        assertThat(Arrays.stream(merged).average().orElseThrow()).isCloseTo(2, within(0.1));
    }

    @Test
    void pruningCombinationsNeedADensityAndEqualRanks() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = new LoraOptions().create(model, 1);
            method.addAdapter("other", new LoraOptions().build());
            assertThatThrownBy(() -> method.addWeightedAdapter(List.of("default", "other"), List.of(1.0, 1.0), "t",
                    "ties")).isInstanceOf(ConfigException.class)
                    .hasMessage("density: combination 'ties' needs a density in [0, 1] (the fraction of entries kept), "
                            + "was null");
            assertThatThrownBy(() -> method.addWeightedAdapter(List.of("default", "other"), List.of(1.0, 1.0), "t",
                    "ties", null, 0.5, "most")).isInstanceOf(ConfigException.class)
                    .hasMessage("majority_sign_method: must be one of [total, frequency], was 'most'");
        }
    }

    /** With density 1 nothing is pruned, so magnitude_prune and dare_linear are exactly the linear combination. */
    @Test
    void densityOneReducesToLinear() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = new LoraOptions().create(model, 1);
            LoraOptions.randomize(method, 3);
            method.addAdapter("other", new LoraOptions().build());
            method.setAdapter("other");
            LoraOptions.randomize(method, 4);
            List<String> names = List.of("default", "other");
            method.addWeightedAdapter(names, List.of(0.7, -0.4), "lin", "linear");
            method.addWeightedAdapter(names, List.of(0.7, -0.4), "mag", "magnitude_prune", null, 1.0, "total");
            method.addWeightedAdapter(names, List.of(0.7, -0.4), "dare", "dare_linear", null, 1.0, "total");
            for (LoraLinear layer : method.allLayers().values()) {
                assertThat(layer.loraA("mag").toFloatArray()).isEqualTo(layer.loraA("lin").toFloatArray());
                assertThat(layer.loraB("dare").toFloatArray()).isEqualTo(layer.loraB("lin").toFloatArray());
            }
        }
    }
}
