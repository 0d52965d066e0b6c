package io.finetune4j.api.model;

import ai.djl.Device;
import io.finetune4j.api.Stable;
import java.nio.file.Path;

/**
 * The second models objectives, evaluators and reward functions use (a DPO or PPO reference, a win-rate
 * baseline, a judge): a checkpoint directory loaded on request, checked to share the policy's vocabulary,
 * or the policy itself with its adapters disabled ({@link #ADAPTERS_DISABLED}, no second copy of the
 * weights: {@link CausalLM#disableAdapters()}). Plugins get one from their context instead of loading
 * checkpoints themselves; the runtime implements it once.
 */
@Stable
public interface ModelSource {
    /** The setting value ({@code reference:}, {@code baseline:}) that selects the policy with its adapters off. */
    String ADAPTERS_DISABLED = "adapters-disabled";

    /** The checkpoint in {@code modelDir} (a directory holding {@code config.json}) on {@code device}; the caller closes it. */
    CausalLM load(Path modelDir, Device device);

    /** The vocabulary size {@code config.json} in {@code modelDir} declares, read without loading weights. */
    int vocabSize(Path modelDir);

    /**
     * A ConfigException unless the checkpoint in {@code modelDir} has {@code expectedVocab} tokens:
     * "{@code where}: the checkpoint at DIR has vocabulary size V but {@code expectedWhat} has N; both must
     * share one tokenizer". Reads only {@code config.json}, so it runs before any weights load.
     */
    void requireSharedVocabulary(Path modelDir, int expectedVocab, String expectedWhat, String where);

    /**
     * The checkpoint in {@code modelDir} on {@code policy}'s device, after {@link #requireSharedVocabulary}
     * against {@code policy} (named {@code policyWhat} in the message, e.g. "the policy"); the caller closes it.
     */
    default CausalLM loadSharingVocabulary(Path modelDir, CausalLM policy, String policyWhat, String where) {
        requireSharedVocabulary(modelDir, policy.config().vocabSize(), policyWhat, where);
        return load(modelDir, policy.device());
    }
}
