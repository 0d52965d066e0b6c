package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.train.BackwardTape;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A checkpointed training step gives the plain step's loss and gradients, to float32 tolerance. */
class CheckpointedLayersTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt2"})
    void checkpointedGradientsEqualThePlainBackward(String kind) {
        try (CausalLM model = TestModels.named(kind, 7)) {
            float[][] plain = step(model, false);
            float[][] checkpointed = step(model, true);
            assertThat(checkpointed[0][0]).isCloseTo(plain[0][0], within(1e-5f));
            assertThat(checkpointed[1]).hasSameSizeAs(plain[1]);
            double largest = 0;
            for (int i = 0; i < plain[1].length; i++) {
                assertThat(checkpointed[1][i]).as("gradient %d", i).isCloseTo(plain[1][i], within(1e-4f));
                largest = Math.max(largest, Math.abs(plain[1][i]));
            }
            assertThat(largest).isGreaterThan(1e-3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void aForwardWithoutDropoutCheckpointsTooAndAnUnusedForwardIsSkipped(String kind) {
        try (CausalLM model = TestModels.named(kind, 8)) {
            // TRL's disable_dropout: the policy's recorded forward runs with training false.
            float[][] plain = step(model, false, false, false);
            float[][] checkpointed = step(model, true, false, true);
            assertThat(checkpointed[0][0]).isCloseTo(plain[0][0], within(1e-5f));
            for (int i = 0; i < plain[1].length; i++) {
                assertThat(checkpointed[1][i]).as("gradient %d", i).isCloseTo(plain[1][i], within(1e-4f));
            }
        }
    }

    /** Soft-prompt embeddings train: their gradient crosses every recomputed layer. Returns {loss}, gradient. */
    private static float[][] step(CausalLM model, boolean checkpoint) {
        return step(model, checkpoint, true, false);
    }

    /**
     * One step; with {@code unusedForward}, a second recorded forward whose output the loss never reads runs
     * first (its deferred backward must be skipped, not fail).
     */
    private static float[][] step(CausalLM model, boolean checkpoint, boolean training, boolean unusedForward) {
        SplittableRandom random = new SplittableRandom(3);
        int hidden = model.config().hiddenSize();
        long[] ids = new long[2 * 7];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(model.config().vocabSize());
        }
        float[] prompt = new float[2 * 2 * hidden];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (float) random.nextGaussian();
        }
        try (NDManager step = model.manager().getEngine().newBaseManager(model.device());
             BackwardTape tape = checkpoint ? BackwardTape.open() : null) {
            NDArray input = step.create(ids, new Shape(2, 7));
            NDArray prefix = step.create(prompt, new Shape(2, 2, hidden));
            prefix.setRequiresGradient(true);
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray targets = input.get(new NDIndex(":, 1:"));
                if (unusedForward) {
                    model.scoreTargets(ForwardInput.of(input).withPrefixEmbeddings(prefix).withTraining(training),
                            targets);
                }
                NDArray logProbs = model.scoreTargets(
                        ForwardInput.of(input).withPrefixEmbeddings(prefix).withTraining(training), targets).logProbs();
                NDArray value = logProbs.mean().neg();
                if (checkpoint) {
                    // Each forward (the unused one too) deferred its layers' backward: none ran recorded.
                    assertThat(BackwardTape.current().orElseThrow().pendingPasses()).isEqualTo(unusedForward ? 2 : 1);
                }
                System.gc();
                collector.backward(value);
                BackwardTape.current().ifPresent(BackwardTape::drain);
                loss = value.getFloat();
            }
            return new float[][] {{loss}, prefix.getGradient().toFloatArray()};
        }
    }
}
