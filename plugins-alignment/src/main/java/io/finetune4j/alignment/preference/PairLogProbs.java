package io.finetune4j.alignment.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.loss.LossMath;
import java.util.ArrayList;
import java.util.List;

/**
 * Completion log-probabilities of a batch of preference pairs from one "concatenated" forward (TRL's
 * {@code concatenated_forward}): the chosen sequences are rows {@code 0..B-1} and the rejected ones rows
 * {@code B..2B-1} of a single right-padded batch, so both halves see the same weights and dropout mode.
 * Log-probs are summed over completion targets only ({@code get_batch_logps}); prompt and padding
 * positions are masked out.
 *
 * @param chosen {@code [B]} Σ log p of each chosen completion (+ EOS), in the step's manager
 * @param rejected {@code [B]} the same for the rejected completions
 * @param chosenCounts {@code [B]} number of target tokens of each chosen sequence (float32, no gradient)
 * @param rejectedCounts {@code [B]} the same for the rejected sequences
 * @param tokens real (unpadded) tokens in the forward, for throughput
 */
public record PairLogProbs(NDArray chosen, NDArray rejected, NDArray chosenCounts, NDArray rejectedCounts,
                           long tokens) {

    /**
     * Runs {@code model} over {@code pairs}. With {@code training} the forward is recorded for autograd
     * (the policy); the caller decides about gradient recording otherwise, see {@link #reference}.
     */
    public static PairLogProbs compute(CausalLM model, List<PreferencePair> pairs, boolean training, NDManager step) {
        int count = pairs.size();
        List<TokenizedExample> rows = new ArrayList<>(2 * count);
        pairs.forEach(pair -> rows.add(pair.chosen()));
        pairs.forEach(pair -> rows.add(pair.rejected()));
        CausalLmBatch batch = CausalLmCollator.collate(rows, model.tokenizer().padTokenId(), step);
        ForwardInput input = ForwardInput.of(batch.inputIds())
                .withAttentionMask(batch.attentionMask())
                .withTraining(training);
        NDArray tokenLogProbs = model.scoreTargets(input, batch.targetIds()).logProbs(); // [2B, seq - 1]
        NDArray sums = LossMath.sequenceSums(tokenLogProbs, batch.targetMask());   // [2B]
        NDArray counts = batch.targetMask().sum(new int[] {1});                    // [2B]
        String first = "0:" + count;
        String second = count + ":";
        return new PairLogProbs(sums.get(first), sums.get(second), counts.get(first), counts.get(second),
                batch.tokenCount());
    }

    /**
     * Log-probs of a reference model: evaluation mode ({@code training=false}, no dropout) and detached
     * with {@code stopGradient()}, so no gradient ever flows into the reference whatever the caller's
     * gradient recording. With {@code disableAdapters} the policy's adapters are bypassed for the forward
     * (the base model as reference, without a second copy of its weights).
     */
    public static PairLogProbs reference(CausalLM model, boolean disableAdapters, List<PreferencePair> pairs,
                                         NDManager step) {
        PairLogProbs logProbs;
        if (disableAdapters) {
            try (AdapterScope off = model.disableAdapters()) {
                logProbs = compute(model, pairs, false, step);
            }
        } else {
            logProbs = compute(model, pairs, false, step);
        }
        return new PairLogProbs(logProbs.chosen.stopGradient(), logProbs.rejected.stopGradient(),
                logProbs.chosenCounts, logProbs.rejectedCounts, logProbs.tokens);
    }

    /** Length-normalised log-probs (TRL's average log-prob: Σ log p / number of completion tokens). */
    public PairLogProbs averaged() {
        return new PairLogProbs(chosen.div(chosenCounts), rejected.div(rejectedCounts), chosenCounts,
                rejectedCounts, tokens);
    }

    /** The chosen half's mean next-token NLL over all its completion tokens (ORPO's SFT term). */
    public NDArray chosenNll() {
        return chosen.sum().div(chosenCounts.sum()).neg();
    }
}
