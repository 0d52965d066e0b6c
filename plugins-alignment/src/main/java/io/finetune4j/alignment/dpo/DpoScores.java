package io.finetune4j.alignment.dpo;

import ai.djl.ndarray.NDArray;

/**
 * What every DPO loss type reads, for one batch of pairs ({@code [B]} each, in the step's manager): the
 * policy's and the reference's summed completion log-probs (LD-DPO weighted when {@code ld_alpha} is set), the
 * completion token counts and the chosen completions' NLL.
 */
record DpoScores(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen, NDArray referenceRejected,
                 NDArray chosenCounts, NDArray rejectedCounts, NDArray chosenNll) {

    /** {@code log π(y_c) − log π_ref(y_c)} (TRL's {@code chosen_logratios}). */
    NDArray chosenLogRatios() {
        return policyChosen.sub(referenceChosen);
    }

    NDArray rejectedLogRatios() {
        return policyRejected.sub(referenceRejected);
    }

    /** {@code chosen_logratios − rejected_logratios} (TRL's {@code delta_score}, reverse KL). */
    NDArray delta() {
        return chosenLogRatios().sub(rejectedLogRatios());
    }

    /** The log-ratios each divided by its completion's token count ({@code ipo}, {@code sigmoid_norm}). */
    NDArray averagedDelta() {
        return chosenLogRatios().div(chosenCounts).sub(rejectedLogRatios().div(rejectedCounts));
    }

    /** {@code log π(y_c) − log π(y_r)} ({@code aot}). */
    NDArray policyLogRatios() {
        return policyChosen.sub(policyRejected);
    }

    NDArray referenceLogRatios() {
        return referenceChosen.sub(referenceRejected);
    }
}
