package io.finetune4j.alignment.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.TargetScores;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.train.NoGradient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: the mean next-token cross-entropy over the batch's target tokens (Hugging Face's
 * causal-LM loss with non-target labels at -100). Every row is tokenized once, at creation, so bad rows
 * fail before the first step. With {@code packing}, the training rows are packed sequences of several examples
 * (see {@link SftPacker}); the model receives their segment ids, so attention stays inside each example and
 * positions restart for each one, and the loss is the mean over all target tokens of the batch, as unpacked.
 */
final class SftObjective implements Objective {
    private final CausalLM model;
    private final List<TokenizedExample> examples;
    private final List<PackedSequence> packed;
    private final long padId;
    private final KlToBaseConfig klToBase;

    SftObjective(SftConfig config, ObjectiveContext context) {
        this.model = context.policy();
        SftTokenizer tokenizer = new SftTokenizer(model.tokenizer(), config, context.maxLength(), context::resolve);
        List<TokenizedExample> tokenized = new ArrayList<>();
        for (Dataset dataset : context.trainData()) {
            for (Example example : dataset.examples()) {
                tokenized.add(tokenizer.tokenize(example));
            }
        }
        this.examples = List.copyOf(tokenized);
        this.packed = config.packing()
                ? SftPacker.pack(examples, context.maxLength(), config.packingStrategy())
                : null;
        this.padId = model.tokenizer().padTokenId();
        this.klToBase = config.klToBase();
        if (klToBase.enabled() && model.parameters().values().stream().anyMatch(NDArray::hasGradient)) {
            // With adapters disabled the model is still the policy when the base weights train: KL to itself.
            throw new ConfigException("kl_to_base: the base is the policy with its adapters disabled, which is the"
                    + " policy itself when the method trains the base weights; use an adapter method or remove"
                    + " kl_to_base");
        }
    }

    @Override
    public int exampleCount() {
        return packed == null ? examples.size() : packed.size();
    }

    /** The tokenized example at {@code index} (dataset order), as the loss sees it. */
    TokenizedExample example(int index) {
        return examples.get(index);
    }

    /** Number of tokenized examples, packed or not. */
    int tokenizedCount() {
        return examples.size();
    }

    /** The packed training row at {@code index}; only with {@code packing}. */
    PackedSequence packedRow(int index) {
        return packed.get(index);
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        ForwardInput input;
        CausalLmBatch batch;
        if (packed == null) {
            batch = CausalLmCollator.collate(indices.stream().map(examples::get).toList(), padId, step);
            input = ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask());
        } else {
            PackedBatch rows = PackedBatch.collate(indices.stream().map(packed::get).toList(), padId, step);
            batch = rows.batch();
            input = ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask())
                    .withSegmentIds(rows.segmentIds());
        }
        if (klToBase.enabled()) {
            return withKlToBase(input, batch);
        }
        // [batch, seq - 1] scores; the [batch, seq - 1, vocab] logits exist one chunk at a time (CausalLM.scoreTargets)
        TargetScores scores = model.scoreTargets(input.withTraining(true), batch.targetIds());
        NDArray loss = LossMath.maskedMean(scores.logProbs(), batch.targetMask()).neg();
        double accuracy = LossMath.maskedMean(scores.argmaxHits(), batch.targetMask()).getFloat();
        return new ObjectiveStep(loss, batch.tokenCount(), Map.of(
                "mean_token_accuracy", accuracy,
                "num_target_tokens", (double) batch.targetCount()));
    }

    /**
     * Cross-entropy plus {@code β × KL} to the base: the policy's full logits serve both terms (one forward), and
     * the base is the same model with its adapters disabled, in evaluation mode and without gradient.
     */
    private ObjectiveStep withKlToBase(ForwardInput input, CausalLmBatch batch) {
        ForwardOutput policy = model.forward(input.withTraining(true).withLogits(ForwardInput.Logits.ALL_BUT_LAST));
        TargetScores scores = TargetScores.fromLogits(policy, batch.targetIds());     // [batch, seq - 1]
        NDArray baseLogits = NoGradient.call(() -> {
            try (AdapterScope off = model.disableAdapters()) {
                return model.forward(input.withTraining(false).withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();
            }
        });                                                                             // [batch, seq - 1, vocab]
        NDArray kl = KlToBase.mean(policy.logits(), baseLogits, batch.targetMask(), klToBase.reverse(),
                KlToBase.CHUNK_POSITIONS);
        NDArray crossEntropy = LossMath.maskedMean(scores.logProbs(), batch.targetMask()).neg();
        NDArray beta = crossEntropy.getManager().full(new Shape(), (float) klToBase.coefficient());
        NDArray loss = crossEntropy.add(kl.mul(beta));
        double accuracy = LossMath.maskedMean(scores.argmaxHits(), batch.targetMask()).getFloat();
        return new ObjectiveStep(loss, batch.tokenCount(), Map.of(
                "mean_token_accuracy", accuracy,
                "num_target_tokens", (double) batch.targetCount(),
                "kl_to_base", (double) kl.getFloat()));
    }
}
