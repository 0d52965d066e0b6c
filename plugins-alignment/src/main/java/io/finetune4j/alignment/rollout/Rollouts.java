package io.finetune4j.alignment.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardInput;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.train.NoGradient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Generation, scoring and the no-gradient forwards of a rollout, shared by PPO and GRPO. Everything runs
 * inside {@link NoGradient} (it is called from an objective's {@code compute}, inside the trainer's gradient
 * collector) and in managers closed before it returns; results are plain Java arrays on the samples.
 *
 * <p>Responses are sampled one prompt at a time with the KV cache ({@link Generator}: temperature, no top-k
 * or top-p, as TRL's rollouts), each with its own seed derived from the stage seed and a running count, so
 * a run is reproducible.
 */
public final class Rollouts {
    private final CausalLM policy;
    private final RewardFunction reward;
    private final int maxNewTokens;
    private final double temperature;
    private final long seed;
    private long generated;

    public Rollouts(CausalLM policy, RewardFunction reward, int maxNewTokens, double temperature, long seed) {
        this.policy = policy;
        this.reward = reward;
        this.maxNewTokens = maxNewTokens;
        this.temperature = temperature;
        this.seed = seed;
    }

    /** One sampled response per prompt, in order (a prompt listed G times gets G responses). */
    public List<RolloutSample> generate(List<PromptRow> prompts) {
        return NoGradient.call(() -> {
            List<RolloutSample> samples = new ArrayList<>(prompts.size());
            for (PromptRow prompt : prompts) {
                long sampleSeed = seed * 1_000_003L + generated++;
                GenerationResult result = Generator.generate(policy, prompt.promptIds(),
                        new GenerationConfig(maxNewTokens, temperature, 0, 1.0, sampleSeed));
                long[] ids = result.outputIds();
                if (ids.length == 0) {
                    throw new TrainingException(prompt.source() + ": the prompt leaves no room in the model's"
                            + " context for a response");
                }
                String text = policy.tokenizer().decode(ids, true);
                samples.add(new RolloutSample(prompt, ids, text, "eos".equals(result.stopReason())));
            }
            return samples;
        });
    }

    /**
     * Scores every sample with the stage's reward function; {@code missingEosPenalty} is subtracted from
     * responses that ended without EOS (TRL's {@code missing_eos_penalty}).
     */
    public void score(List<RolloutSample> samples, double missingEosPenalty) {
        List<RewardInput> inputs = new ArrayList<>(samples.size());
        for (RolloutSample sample : samples) {
            PromptRow prompt = sample.prompt();
            inputs.add(new RewardInput(prompt.prompt(), sample.completion(), prompt.promptIds(), sample.responseIds(),
                    prompt.reference(), prompt.source()));
        }
        double[] scores = NoGradient.call(() -> reward.score(inputs));
        if (scores == null || scores.length != samples.size()) {
            throw new TrainingException(String.format(Locale.ROOT, "the reward function %s returned %s scores for"
                    + " %d completions", reward.getClass().getSimpleName(),
                    scores == null ? "no" : String.valueOf(scores.length), samples.size()));
        }
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new TrainingException(String.format(Locale.ROOT, "the reward function %s scored the completion"
                        + " of %s as %s; rewards must be finite", reward.getClass().getSimpleName(),
                        samples.get(i).prompt().source(), scores[i]));
            }
            RolloutSample sample = samples.get(i);
            sample.setScore(scores[i] - (sample.endsWithEos() ? 0 : missingEosPenalty));
        }
    }

    /**
     * The policy's log-probs (and, with a value head, its values) and the reference's log-probs of every
     * sample, {@code chunk} sequences per forward. A null {@code valueHead} (hidden states {@code [batch, seq,
     * hidden]} to values) skips the values, a null {@code reference} the reference.
     */
    public void forwardScores(List<RolloutSample> samples, UnaryOperator<NDArray> valueHead,
                              ReferencePolicy reference, int chunk,
                              NDManager parent) {
        NoGradient.run(() -> {
            for (int start = 0; start < samples.size(); start += chunk) {
                List<RolloutSample> part = samples.subList(start, Math.min(samples.size(), start + chunk));
                try (NDManager scope = parent.newSubManager()) {
                    SequenceBatch batch = batch(part, scope);
                    TokenScores scores = TokenScores.of(policy, batch, temperature);
                    List<double[]> logProbs = batch.gather(scores.logProbs());
                    List<double[]> values = valueHead == null ? null
                            : batch.gather(valueHead.apply(scores.hiddenStates()).stopGradient());
                    List<double[]> referenceLogProbs = reference == null ? null : reference.logProbs(batch, temperature);
                    for (int i = 0; i < part.size(); i++) {
                        RolloutSample sample = part.get(i);
                        sample.setOldLogProbs(logProbs.get(i));
                        sample.values = values == null ? null : values.get(i);
                        sample.setReferenceLogProbs(referenceLogProbs == null ? null : referenceLogProbs.get(i));
                    }
                }
            }
        });
    }

    /** The samples as one padded batch in {@code manager}. */
    public SequenceBatch batch(List<RolloutSample> samples, NDManager manager) {
        List<long[]> prompts = new ArrayList<>(samples.size());
        List<long[]> responses = new ArrayList<>(samples.size());
        for (RolloutSample sample : samples) {
            prompts.add(sample.prompt().promptIds());
            responses.add(sample.responseIds());
        }
        return SequenceBatch.of(prompts, responses, policy.tokenizer().padTokenId(), manager);
    }
}
