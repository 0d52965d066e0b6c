package io.finetune4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveStep;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Causal-LM loss on uniformly random tokens, for benchmarking: every example is {@code seq} token ids
 * drawn from its own seeded stream, every position after the first is a target, scored through
 * {@link CausalLM#scoreTargets} as SFT scores them (the LM head skips the last position, as the PyTorch
 * baselines do).
 */
final class RandomTokenObjective implements Objective {
    private final CausalLM model;
    private final int examples;
    private final int seq;
    private final int vocab;
    private final long seed;

    RandomTokenObjective(CausalLM model, int examples, int seq, long seed) {
        this.model = model;
        this.examples = examples;
        this.seq = seq;
        this.vocab = model.config().vocabSize();
        this.seed = seed;
    }

    @Override
    public int exampleCount() {
        return examples;
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        long[] ids = new long[indices.size() * seq];
        for (int row = 0; row < indices.size(); row++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + indices.get(row));
            for (int t = 0; t < seq; t++) {
                ids[row * seq + t] = random.nextInt(vocab);
            }
        }
        NDArray inputIds = step.create(ids, new Shape(indices.size(), seq));              // [batch, seq]
        NDArray targets = inputIds.get(":, 1:");                                           // [batch, seq-1]
        // The path SFT takes: the head's logits exist one chunk at a time (CausalLM.scoreTargets).
        NDArray loss = model.scoreTargets(ForwardInput.of(inputIds).withTraining(true), targets).logProbs().mean().neg();
        return new ObjectiveStep(loss, ids.length, Map.of());
    }
}
