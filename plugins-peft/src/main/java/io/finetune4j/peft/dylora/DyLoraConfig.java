package io.finetune4j.peft.dylora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Settings of the {@code dylora} method (Valipour et al., EACL 2023); LoRA's keys keep PEFT's names.
 *
 * @param r the largest rank: {@code A [r, in]}, {@code B [out, r]}; each training step uses a rank {@code b}
 *     drawn uniformly from {@code 1..r}
 * @param loraAlpha at rank {@code b} the update is scaled by {@code lora_alpha / b}
 * @param loraDropout dropout on the adapter's input while training
 * @param targetModules as in {@code lora}: a list of names or suffixes, a full-match regex string, or
 *     {@code all-linear}
 * @param frozen the paper's default (the reference code's {@code set_rank(b, frozen=True)}): at rank {@code b}
 *     only row {@code b} of {@code A} and column {@code b} of {@code B} receive gradient, the lower ones are
 *     detached; false updates every row and column up to {@code b}
 * @param rank the rank used outside training (evaluation, generation, merging); 0 means {@code r}
 * @param saveRanks extra ranks {@code k <= r} to also save, each as a plain PEFT LoRA adapter of rank {@code k}
 *     in {@code <adapter>/rank-<k>/}
 */
public record DyLoraConfig(int r, double loraAlpha, double loraDropout, Object targetModules, boolean frozen,
                           int rank, List<Integer> saveRanks) {
    public DyLoraConfig {
        targetModules = targetModules instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list))
                : targetModules;
        saveRanks = saveRanks == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(saveRanks));
    }

    /** The rank outside training: {@link #rank()}, or {@link #r()} when it is 0. */
    public int inferenceRank() {
        return rank == 0 ? r : rank;
    }
}
