package io.finetune4j.alignment.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.runtime.loss.LossMath;

/**
 * One forward of a {@link SequenceBatch} with the sampling temperature applied to the logits, as TRL's
 * PPO and GRPO trainers score tokens ({@code logits /= temperature + 1e-7}): the log-probs are those of the
 * distribution the tokens were drawn from. Dropout stays off ({@code training=false}), so rollout and
 * training forwards of the same weights agree, as with TRL's disabled dropout.
 *
 * @param logits {@code [batch, seq - 1, vocab]} divided by the temperature
 * @param logProbs {@code [batch, seq - 1]} log-prob of each next token
 * @param hiddenStates {@code [batch, seq, hidden]} final-norm hidden states (value head input)
 */
public record TokenScores(NDArray logits, NDArray logProbs, NDArray hiddenStates) {

    public static TokenScores of(CausalLM model, SequenceBatch batch, double temperature) {
        ForwardInput input = ForwardInput.of(batch.inputIds())
                .withAttentionMask(batch.attentionMask())
                .withTraining(false)
                .withLogits(ForwardInput.Logits.ALL_BUT_LAST);
        ForwardOutput output = model.forward(input);
        NDArray logits = output.logits();                                           // [batch, seq - 1, vocab]
        NDArray scale = logits.getManager().full(new Shape(), (float) (temperature + 1e-7));
        NDArray scaled = logits.div(scale);
        return new TokenScores(scaled, LossMath.tokenLogProbs(scaled, batch.targetIds()), output.hiddenStates());
    }

    /** Entropy of each position's distribution, {@code −Σ p log p}, detached: {@code [batch, seq - 1]}. */
    public NDArray entropy() {
        NDArray logP = logits.stopGradient().logSoftmax(-1);                       // [batch, seq - 1, vocab]
        return logP.exp().mul(logP).sum(new int[] {-1}).neg();
    }
}
