package io.finetune4j.alignment.rollout;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.ObjectiveContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The frozen reference of the KL penalty: the policy with its adapters disabled (the base model, without a
 * second copy of its weights), or a checkpoint directory loaded once. Its log-probs are computed in
 * evaluation mode and returned as plain doubles, so no gradient can ever reach it; callers run it inside
 * {@link io.finetune4j.runtime.train.NoGradient}.
 */
public final class ReferencePolicy implements AutoCloseable {
    private final CausalLM policy;
    private CausalLM checkpoint;   // null when the reference is the policy itself

    private ReferencePolicy(CausalLM policy, CausalLM checkpoint) {
        this.policy = policy;
        this.checkpoint = checkpoint;
    }

    /**
     * @param reference {@link ModelSource#ADAPTERS_DISABLED} or a checkpoint directory as written in the
     *     pipeline file, resolved and loaded through {@code context}
     * @param neededBy the objective id, for messages
     */
    public static ReferencePolicy of(String reference, ObjectiveContext context, String neededBy) {
        CausalLM policy = context.policy();
        if (reference.equals(ModelSource.ADAPTERS_DISABLED)) {
            boolean baseTrains = policy.parameters().values().stream().anyMatch(NDArray::hasGradient);
            if (baseTrains) {
                throw new ConfigException(neededBy + ": reference: '" + ModelSource.ADAPTERS_DISABLED
                        + "' is the policy itself when the method trains the base weights; use an adapter method"
                        + " or give a checkpoint directory");
            }
            return new ReferencePolicy(policy, null);
        }
        Path resolved = context.resolve(reference);
        if (!Files.isDirectory(resolved)) {
            throw new ConfigException(neededBy + ": reference: no checkpoint directory at "
                    + resolved.toAbsolutePath() + "; use '" + ModelSource.ADAPTERS_DISABLED
                    + "' or a model directory");
        }
        CausalLM model = context.models().loadSharingVocabulary(resolved, policy, "the policy",
                neededBy + ": reference");
        return new ReferencePolicy(policy, model);
    }

    /** The reference's temperature-scaled log-probs of each response's tokens. */
    public List<double[]> logProbs(SequenceBatch batch, double temperature) {
        if (checkpoint != null) {
            return batch.gather(TokenScores.of(checkpoint, batch, temperature).logProbs().stopGradient());
        }
        try (AdapterScope off = policy.disableAdapters()) {
            return batch.gather(TokenScores.of(policy, batch, temperature).logProbs().stopGradient());
        }
    }

    /** The separately loaded checkpoint, or null. */
    public CausalLM checkpoint() {
        return checkpoint;
    }

    @Override
    public void close() {
        if (checkpoint != null) {
            checkpoint.close();
            checkpoint = null;
        }
    }
}
