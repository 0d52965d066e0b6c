package io.finetune4j.alignment.rollout;


/**
 * One generated response and what the rollout computed about it, as plain Java arrays (one entry per
 * response token, EOS included when emitted), so nothing outlives a step's NDManager. Filled in stages by
 * the objective that owns it: generation, reward, then log-probs, values and advantages.
 */
public final class RolloutSample {
    private final PromptRow prompt;
    private final long[] responseIds;
    private final String completion;
    private final boolean endsWithEos;
    double score;
    double[] oldLogProbs;
    double[] referenceLogProbs;
    double[] values;
    double[] advantages;
    double[] returns;
    double klSum;
    double nonScoreRewardSum;

    public RolloutSample(PromptRow prompt, long[] responseIds, String completion, boolean endsWithEos) {
        this.prompt = prompt;
        this.responseIds = responseIds.clone();
        this.completion = completion;
        this.endsWithEos = endsWithEos;
    }

    public PromptRow prompt() {
        return prompt;
    }

    public long[] responseIds() {
        return responseIds.clone();
    }

    /** Response length in tokens. */
    public int length() {
        return responseIds.length;
    }

    public String completion() {
        return completion;
    }

    public boolean endsWithEos() {
        return endsWithEos;
    }

    public double score() {
        return score;
    }

    public void setScore(double score) {
        this.score = score;
    }

    public double[] oldLogProbs() {
        return oldLogProbs;
    }

    public void setOldLogProbs(double[] logProbs) {
        this.oldLogProbs = logProbs;
    }

    public double[] referenceLogProbs() {
        return referenceLogProbs;
    }

    public void setReferenceLogProbs(double[] logProbs) {
        this.referenceLogProbs = logProbs;
    }

    public double[] advantages() {
        return advantages;
    }

    public void setAdvantages(double[] advantages) {
        this.advantages = advantages;
    }

    public double[] values() {
        return values;
    }

    public double[] returns() {
        return returns;
    }

    public void setReturns(double[] returns) {
        this.returns = returns;
    }

    /** Σ over tokens of the rollout-time KL estimate. */
    public double klSum() {
        return klSum;
    }

    public void setKlSum(double klSum) {
        this.klSum = klSum;
    }

    /** {@code −kl_coef · klSum}: the KL part of the response's RLHF reward. */
    public double nonScoreRewardSum() {
        return nonScoreRewardSum;
    }

    public void setNonScoreRewardSum(double nonScoreRewardSum) {
        this.nonScoreRewardSum = nonScoreRewardSum;
    }

    /** Rollout-time entropy estimate, {@code −Σ log p} of the sampled tokens (TRL's objective/entropy). */
    public double sampledEntropy() {
        double sum = 0;
        for (double logProb : oldLogProbs) {
            sum += logProb;
        }
        return -sum;
    }
}
