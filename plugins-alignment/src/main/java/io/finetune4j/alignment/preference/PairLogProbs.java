package io.finetune4j.alignment.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
 * @param chosenNll scalar: mean next-token NLL over every completion token of the chosen half (TRL's DPO
 *     {@code sft} term, CPO's NLL); null for reference log-probs
 * @param chosenSequenceNll scalar: mean next-token NLL over every non-padding token of the chosen half after
 *     the first, prompt included (TRL's ORPO {@code chosen_nll_loss}); null for reference log-probs
 */
public record PairLogProbs(NDArray chosen, NDArray rejected, NDArray chosenCounts, NDArray rejectedCounts,
                           long tokens, NDArray chosenNll, NDArray chosenSequenceNll) {

    public PairLogProbs(NDArray chosen, NDArray rejected, NDArray chosenCounts, NDArray rejectedCounts, long tokens) {
        this(chosen, rejected, chosenCounts, rejectedCounts, tokens, null, null);
    }

    /**
     * Runs {@code model} over {@code pairs}. With {@code training} the forward is recorded for autograd
     * (the policy); the caller decides about gradient recording otherwise, see {@link #reference}.
     */
    public static PairLogProbs compute(CausalLM model, List<PreferencePair> pairs, boolean training, NDManager step) {
        return compute(model, pairs, training, null, step);
    }

    /**
     * As {@link #compute(CausalLM, List, boolean, NDManager)}, with {@code training} deciding dropout only, and
     * with LD-DPO's length desensitisation when {@code ldAlpha} is not null (Liu et al. 2024; TRL v1.9
     * {@code DPOTrainer._compute_loss}): of each sequence's completion tokens, the first
     * {@code min(|chosen|, |rejected|)} of its pair count fully and the rest with weight {@code ldAlpha}.
     */
    public static PairLogProbs compute(CausalLM model, List<PreferencePair> pairs, boolean training, Double ldAlpha,
                                       NDManager step) {
        int count = pairs.size();
        List<TokenizedExample> rows = new ArrayList<>(2 * count);
        pairs.forEach(pair -> rows.add(pair.chosen()));
        pairs.forEach(pair -> rows.add(pair.rejected()));
        CausalLmBatch batch = CausalLmCollator.collate(rows, model.tokenizer().padTokenId(), step);
        ForwardInput input = ForwardInput.of(batch.inputIds())
                .withAttentionMask(batch.attentionMask())
                .withTraining(training);
        NDArray tokenLogProbs = model.scoreTargets(input, batch.targetIds()).logProbs(); // [2B, seq - 1]
        NDArray mask = ldAlpha == null ? batch.targetMask() : lengthDesensitised(pairs, batch, ldAlpha, step);
        NDArray sums = LossMath.sequenceSums(tokenLogProbs, mask);                 // [2B]
        NDArray counts = batch.targetMask().sum(new int[] {1});                    // [2B]
        String first = "0:" + count;
        String second = count + ":";
        NDArray chosenLogProbs = tokenLogProbs.get(first);                          // [B, seq - 1]
        NDArray chosenTargets = batch.targetMask().get(first);
        NDArray chosenNll = chosenLogProbs.mul(chosenTargets).sum().div(chosenTargets.sum()).neg();
        // Every real token after the first: the attention mask shifted by one, [B, seq - 1].
        NDArray realTargets = batch.attentionMask().get(first).get(":, 1:").toType(DataType.FLOAT32, false);
        NDArray sequenceNll = chosenLogProbs.mul(realTargets).sum().div(realTargets.sum()).neg();
        return new PairLogProbs(sums.get(first), sums.get(second), counts.get(first), counts.get(second),
                batch.tokenCount(), chosenNll, sequenceNll);
    }

    /** The target mask with LD-DPO's weights, {@code [2B, seq - 1]}. */
    private static NDArray lengthDesensitised(List<PreferencePair> pairs, CausalLmBatch batch, double ldAlpha,
                                              NDManager step) {
        Shape shape = batch.targetMask().getShape();
        int rows = (int) shape.get(0);
        int width = (int) shape.get(1);
        float[] weights = new float[rows * width];
        int count = pairs.size();
        for (int p = 0; p < count; p++) {
            PreferencePair pair = pairs.get(p);
            int shared = Math.min(pair.chosen().targetCount(), pair.rejected().targetCount());
            fill(weights, p * width, pair.chosen().targets(), shared, ldAlpha);
            fill(weights, (count + p) * width, pair.rejected().targets(), shared, ldAlpha);
        }
        return step.create(weights, shape);
    }

    private static void fill(float[] weights, int offset, boolean[] targets, int shared, double ldAlpha) {
        int seen = 0;
        for (int t = 1; t < targets.length; t++) {
            if (targets[t]) {
                seen++;
                weights[offset + t - 1] = seen <= shared ? 1f : (float) ldAlpha;
            }
        }
    }

    /**
     * Log-probs of a reference model: evaluation mode ({@code training=false}, no dropout) and detached
     * with {@code stopGradient()}, so no gradient ever flows into the reference whatever the caller's
     * gradient recording. With {@code disableAdapters} the policy's adapters are bypassed for the forward
     * (the base model as reference, without a second copy of its weights).
     */
    public static PairLogProbs reference(CausalLM model, boolean disableAdapters, List<PreferencePair> pairs,
                                         NDManager step) {
        return reference(model, disableAdapters, pairs, null, step);
    }

    /** As {@link #reference(CausalLM, boolean, List, NDManager)} with LD-DPO's weights when {@code ldAlpha} is set. */
    public static PairLogProbs reference(CausalLM model, boolean disableAdapters, List<PreferencePair> pairs,
                                         Double ldAlpha, NDManager step) {
        PairLogProbs logProbs;
        if (disableAdapters) {
            try (AdapterScope off = model.disableAdapters()) {
                logProbs = compute(model, pairs, false, ldAlpha, step);
            }
        } else {
            logProbs = compute(model, pairs, false, ldAlpha, step);
        }
        return new PairLogProbs(logProbs.chosen.stopGradient(), logProbs.rejected.stopGradient(),
                logProbs.chosenCounts, logProbs.rejectedCounts, logProbs.tokens);
    }

    /** Length-normalised log-probs (TRL's average log-prob: Σ log p / number of completion tokens). */
    public PairLogProbs averaged() {
        return new PairLogProbs(chosen.div(chosenCounts), rejected.div(rejectedCounts), chosenCounts,
                rejectedCounts, tokens, chosenNll, chosenSequenceNll);
    }
}
