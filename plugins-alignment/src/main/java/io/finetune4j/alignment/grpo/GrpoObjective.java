package io.finetune4j.alignment.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.rollout.PromptRow;
import io.finetune4j.alignment.rollout.PromptSchedule;
import io.finetune4j.alignment.rollout.ReferencePolicy;
import io.finetune4j.alignment.rollout.RolloutBuffer;
import io.finetune4j.alignment.rollout.RolloutPrompts;
import io.finetune4j.alignment.rollout.RolloutSample;
import io.finetune4j.alignment.rollout.Rollouts;
import io.finetune4j.alignment.rollout.SequenceBatch;
import io.finetune4j.alignment.rollout.TokenScores;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.api.reward.RewardFunction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GRPO as TRL v1.9's {@code GRPOTrainer} ({@code trl/trainer/grpo_trainer.py}): {@code num_generations}
 * completions per prompt, group-relative advantages ({@link GrpoMath}), and the clipped per-token (or, with
 * {@code importance_sampling_level: sequence}, per-sequence: GSPO) loss with a k3 KL penalty ({@link GrpoLoss}).
 * With {@code beta: 0} (the default) no reference is loaded or run.
 *
 * <p><b>Rollouts and the trainer's steps</b> work as in PPO (package {@code ppo}): the trainer's indices only
 * give the micro-batch size {@code b}; when a rollout is used up the next {@code generation_batch_size}
 * completions are sampled ({@code generation_batch_size / num_generations} prompts in the objective's own
 * seeded order) and served for {@code num_iterations} shuffled passes, {@code b} completions per call. Old
 * log-probs are taken at generation, so the ratio is exactly 1 on the first pass (TRL's
 * {@code old_per_token_logps = per_token_logps.detach()}) and a true importance ratio on later ones.
 * {@link #exampleCount()} is {@code prompts × num_generations × num_iterations}: one trainer epoch generates
 * from every prompt once.
 */
final class GrpoObjective implements Objective {
    static final String ID = "grpo";

    private final CausalLM policy;
    private final GrpoConfig config;
    private final GrpoLossType lossType;
    private final List<PromptRow> prompts;
    private final ReferencePolicy reference;   // null when beta == 0
    private final Rollouts rollouts;
    private final PromptSchedule schedule;
    private final long seed;
    private int microBatch;
    private int rolloutCount;
    private RolloutBuffer buffer;
    private double tokensPerMicroBatch;
    private Map<String, Double> rolloutMetrics = Map.of();

    GrpoObjective(GrpoConfig config, ObjectiveContext context) {
        this.policy = context.policy();
        this.config = config;
        this.lossType = GrpoLossType.parse(config.lossType());
        RewardFunction reward = context.reward().orElseThrow(() -> new ConfigException(ID + ": the stage names no "
                + "reward function; add e.g. reward: {id: exact-answer} or reward: {id: reward-model, path: ...}"));
        int maxPrompt = context.maxLength() - config.maxCompletionLength();
        if (maxPrompt < 1) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: max_length (%d) must be larger than "
                    + "max_completion_length (%d): prompts get max_length − max_completion_length tokens", ID,
                    context.maxLength(), config.maxCompletionLength()));
        }
        this.prompts = RolloutPrompts.read(context.trainData(), policy.tokenizer(), maxPrompt, ID);
        this.seed = context.seed();
        this.rollouts = new Rollouts(policy, reward, config.maxCompletionLength(), config.temperature(), seed);
        this.schedule = new PromptSchedule(prompts.size(), seed);
        this.reference = config.beta() == 0 ? null
                : ReferencePolicy.of(config.reference(), context, ID);
    }

    /** TRL calls the model without labels here, so PEFT adds no AdaLoRA orthogonality penalty (see the SPI). */
    @Override
    public boolean addsMethodRegularization() {
        return false;
    }

    @Override
    public int exampleCount() {
        return prompts.size() * config.numGenerations() * config.numIterations();
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        microBatch = Math.max(microBatch, indices.size());
        if (buffer == null || buffer.usedUp()) {
            buffer = rollout(step);
        }
        return loss(buffer.next(indices.size()), step);
    }

    /** Samples {@code num_generations} completions for each of the next prompts and scores them. */
    RolloutBuffer rollout(NDManager parent) {
        int groups = config.generationBatchSize() > 0 ? config.generationBatchSize() / config.numGenerations()
                : (microBatch + config.numGenerations() - 1) / config.numGenerations();
        List<PromptRow> rows = new ArrayList<>();
        for (int index : schedule.next(groups)) {
            for (int g = 0; g < config.numGenerations(); g++) {
                rows.add(prompts.get(index));
            }
        }
        List<RolloutSample> samples = rollouts.generate(rows);
        rollouts.score(samples, 0);
        rollouts.forwardScores(samples, null, reference, Math.max(1, microBatch), parent);
        double[] rewards = samples.stream().mapToDouble(RolloutSample::score).toArray();
        double[] advantages = GrpoMath.advantages(rewards, config.numGenerations(), config.scaleRewards());
        long countedTokens = samples.stream().filter(this::counts).mapToLong(RolloutSample::length).sum();
        tokensPerMicroBatch = (double) countedTokens * Math.max(1, microBatch) / samples.size();
        for (int i = 0; i < samples.size(); i++) {
            double[] perToken = new double[samples.get(i).length()];
            Arrays.fill(perToken, advantages[i]);
            samples.get(i).setAdvantages(perToken);
        }
        rolloutMetrics = rolloutMetrics(rewards);
        return new RolloutBuffer(samples, config.numIterations(), seed + 7919L * ++rolloutCount);
    }

    /** TRL's logged reward statistics of one generation batch. */
    private Map<String, Double> rolloutMetrics(double[] rewards) {
        int groupSize = config.numGenerations();
        int groups = rewards.length / groupSize;
        double stdSum = 0;
        int zeroStd = 0;
        for (int start = 0; start < rewards.length; start += groupSize) {
            double std = GrpoMath.groupStd(rewards, start, groupSize);
            stdSum += std;
            zeroStd += std == 0 ? 1 : 0;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", Arrays.stream(rewards).average().orElse(Double.NaN));
        metrics.put("reward_std", stdSum / groups);
        metrics.put("frac_reward_zero_std", (double) zeroStd / groups);
        return metrics;
    }

    /** Whether a completion's tokens count in the loss ({@code mask_truncated_completions} drops those without EOS). */
    private boolean counts(RolloutSample sample) {
        return !config.maskTruncatedCompletions() || sample.endsWithEos();
    }

    private ObjectiveStep loss(List<RolloutSample> batch, NDManager step) {
        SequenceBatch sequences = rollouts.batch(batch, step);
        TokenScores scores = TokenScores.of(policy, sequences, config.temperature());
        List<double[]> old = new ArrayList<>();
        List<double[]> referenceLogProbs = new ArrayList<>();
        List<double[]> advantages = new ArrayList<>();
        for (RolloutSample sample : batch) {
            old.add(sample.oldLogProbs());
            referenceLogProbs.add(sample.referenceLogProbs());
            advantages.add(sample.advantages());
        }
        NDArray reference = this.reference == null ? null : sequences.scatter(referenceLogProbs);
        NDArray mask = sequences.mask();
        if (config.maskTruncatedCompletions()) {
            List<double[]> counted = new ArrayList<>();
            for (RolloutSample sample : batch) {
                double[] ones = new double[sample.length()];
                Arrays.fill(ones, counts(sample) ? 1 : 0);
                counted.add(ones);
            }
            mask = sequences.scatter(counted);
        }
        GrpoLoss.Settings settings = new GrpoLoss.Settings(config.epsilon(), config.upperEpsilon(), config.beta(),
                config.importanceSamplingLevel().equals("sequence"), lossType, config.maxCompletionLength(),
                tokensPerMicroBatch);
        GrpoLoss.Result result = GrpoLoss.compute(scores.logProbs(), sequences.scatter(old), reference,
                sequences.scatter(advantages), mask, settings);
        Map<String, Double> metrics = new LinkedHashMap<>(rolloutMetrics);
        metrics.put("kl", (double) result.meanKl().getFloat());
        metrics.put("clip_ratio/region_mean", (double) result.clipRatio().getFloat());
        metrics.put("completions/mean_length", batch.stream().mapToInt(RolloutSample::length).average().orElse(0));
        metrics.put("completions/eos_fraction", batch.stream().mapToDouble(s -> s.endsWithEos() ? 1 : 0)
                .average().orElse(0));
        return new ObjectiveStep(result.loss(), sequences.tokens(), metrics);
    }

    /** The rollout being served, or null before the first {@code compute}. */
    RolloutBuffer buffer() {
        return buffer;
    }

    ReferencePolicy reference() {
        return reference;
    }

    /** GRPO writes no artifact of its own; releases a checkpoint reference. */
    @Override
    public void save(Path stageDir) {
        if (reference != null) {
            reference.close();
        }
    }
}
