package io.finetune4j.runtime.reward;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.train.NoGradient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A trained reward model loaded for scoring: the checkpoint a {@code reward} stage saved plus its
 * {@link RewardHead}. Used by PPO's {@code reward-model} reward function and by preference evaluators.
 * Scores are computed without a gradient, in batches, and every batch's arrays are freed before the next.
 */
@Stable
public final class RewardModel implements AutoCloseable {
    private final CausalLM model;
    private final RewardHead head;
    private final Path dir;

    private RewardModel(CausalLM model, RewardHead head, Path dir) {
        this.model = model;
        this.head = head;
        this.dir = dir;
    }

    /**
     * Loads {@code path}: a {@code reward} stage's directory (weights in {@code model/}, head beside it) or
     * a model directory holding {@code config.json} and {@code reward_head.safetensors} together.
     *
     * @throws ConfigException naming the path when no head or no model is there, or the head does not fit
     */
    public static RewardModel load(Path path, Device device) {
        if (!Files.isDirectory(path)) {
            throw new ConfigException("reward model: no such directory: " + path.toAbsolutePath());
        }
        if (!Files.isRegularFile(path.resolve(RewardHead.WEIGHTS_FILE))) {
            throw new ConfigException("reward model: " + path.toAbsolutePath() + " has no "
                    + RewardHead.WEIGHTS_FILE + "; give the directory of a 'reward' stage");
        }
        Path modelDir = Files.isRegularFile(path.resolve("model").resolve("config.json")) ? path.resolve("model") : path;
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new ConfigException("reward model: " + path.toAbsolutePath() + " has no model/ (merged "
                    + "weights); save the reward stage with output.merge: true or a full method");
        }
        CausalLM model = CheckpointModelSource.INSTANCE.load(modelDir, device);
        try {
            RewardHead head = RewardHead.load(path, model.manager());
            if (head.hiddenSize() != model.config().hiddenSize()) {
                throw new ConfigException(String.format("reward model: %s is [1, %d] but the model's hidden size "
                        + "is %d", path.resolve(RewardHead.WEIGHTS_FILE), head.hiddenSize(),
                        model.config().hiddenSize()));
            }
            return new RewardModel(model, head, path);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public CausalLM model() {
        return model;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Rewards of whole token sequences (prompt + completion), {@code batchSize} at a time, each read where the
     * reward stage trained its head: the last token that is not the tokenizer's pad ({@link LastNonPadToken};
     * with pad = EOS, the completion's last token before the EOS).
     */
    public double[] score(List<long[]> sequences, int batchSize) {
        double[] rewards = new double[sequences.size()];
        long pad = model.tokenizer() == null ? -1 : model.tokenizer().padTokenId();
        for (int start = 0; start < sequences.size(); start += batchSize) {
            List<long[]> batch = new ArrayList<>();
            for (long[] ids : sequences.subList(start, Math.min(sequences.size(), start + batchSize))) {
                batch.add(Arrays.copyOf(ids, LastNonPadToken.poolLength(ids, ids.length, pad)));
            }
            double[] values;
            try (NDManager scope = model.manager().newSubManager()) {
                values = NoGradient.call(() -> head.score(model, batch, scope));
            }
            System.arraycopy(values, 0, rewards, start, values.length);
        }
        return rewards;
    }

    @Override
    public void close() {
        model.close();
    }
}
