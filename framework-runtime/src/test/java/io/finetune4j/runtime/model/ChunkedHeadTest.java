package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.TargetScores;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CausalLM#scoreTargets} through the chunked head equals the plain logits path: the same
 * log-probabilities, argmax hits and gradients of every body parameter, in one chunk and in many.
 */
class ChunkedHeadTest {
    private static final long[] SHAPE = {3, 9};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt2"})
    void chunkedScoresAndGradientsEqualThePlainLogitsPath(String kind) {
        try (CausalLM model = TestModels.named(kind, 5)) {
            Result plain = run(model, scoped -> TargetScores.fromLogits(
                    model.forward(scoped.input.withLogits(ForwardInput.Logits.ALL_BUT_LAST)), scoped.targets));
            Result chunked = run(model, scoped -> model.scoreTargets(scoped.input, scoped.targets));
            // 4 tokens a chunk: the 24 scored positions go through the head in 6 pieces
            Result small = run(model, scoped -> ((TransformerModel) model).scoreTargets(scoped.input, scoped.targets,
                    4L * model.config().vocabSize()));

            for (Result result : List.of(chunked, small)) {
                assertClose(result.logProbs, plain.logProbs, 1e-5);
                assertThat(result.hits).containsExactly(plain.hits);
                assertClose(result.gradient, plain.gradient, 1e-4);
            }
            assertThat(maxAbs(plain.gradient)).isGreaterThan(1e-3);
        }
    }

    /** Soft-prompt embeddings are the trainable leaf: their gradient crosses every layer and the head. */
    private record Scoped(ForwardInput input, NDArray targets) {}

    private record Result(float[] logProbs, float[] hits, float[] gradient) {}

    private static Result run(CausalLM model, java.util.function.Function<Scoped, TargetScores> score) {
        SplittableRandom random = new SplittableRandom(11);
        long[] ids = new long[(int) (SHAPE[0] * SHAPE[1])];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(model.config().vocabSize());
        }
        int hidden = model.config().hiddenSize();
        float[] prompt = new float[(int) SHAPE[0] * 2 * hidden];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (float) random.nextGaussian();
        }
        try (NDManager step = model.manager().getEngine().newBaseManager(model.device())) {
            NDArray input = step.create(ids, new Shape(SHAPE));
            NDArray targets = input.get(new NDIndex(":, 1:"));
            NDArray prefix = step.create(prompt, new Shape(SHAPE[0], 2, hidden));
            prefix.setRequiresGradient(true);
            float[] weights = new float[(int) targets.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = 0.5f + (float) random.nextDouble();
            }
            NDArray weight = step.create(weights, targets.getShape());
            TargetScores scores;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                ForwardInput forward = ForwardInput.of(input).withPrefixEmbeddings(prefix).withTraining(true);
                scores = score.apply(new Scoped(forward, targets));
                System.gc(); // no Java-owned scalar may be read by the backward (STACK.md)
                collector.backward(scores.logProbs().mul(weight).sum());
            }
            return new Result(scores.logProbs().toFloatArray(), scores.argmaxHits().toFloatArray(),
                    prefix.getGradient().toFloatArray());
        }
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static void assertClose(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("element %d", i)
                    .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(tolerance * (1 + Math.abs(expected[i]))));
        }
    }
}
