package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Query-chunked attention is the same computation as the whole score matrix (softmax is per query row): outputs
 * and the gradients of query, key and value agree to float32 rounding, with grouped-query heads, a causal and
 * padding mask, and a key longer than the queries (a prefix cache).
 */
class AttentionChunkingTest {
    private static final int BATCH = 2;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int LENGTH = 7;
    private static final int PREFIX = 3;
    private static final int HEAD_DIM = 8;

    @Test
    void chunkedQueriesGiveTheWholeMatrixsOutputAndGradients() {
        float[][] whole = run(Long.MAX_VALUE);
        // At most 2 queries' scores per chunk: 4 chunks of 2, 2, 2 and 1 queries.
        float[][] chunked = run((long) BATCH * HEADS * (LENGTH + PREFIX) * 2);
        for (int part = 0; part < whole.length; part++) {
            assertThat(chunked[part]).hasSameSizeAs(whole[part]);
            for (int i = 0; i < whole[part].length; i++) {
                assertThat(chunked[part][i]).as("part %d, element %d", part, i).isCloseTo(whole[part][i], within(1e-5f));
            }
        }
    }

    /** {output, dQuery, dKey, dValue} of {@code sum(out · w)} for fixed random inputs and weights w. */
    private static float[][] run(long maxChunkScores) {
        SplittableRandom random = new SplittableRandom(17);
        int total = LENGTH + PREFIX;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray query = manager.create(gaussian(random, BATCH * HEADS * LENGTH * HEAD_DIM),
                    new Shape(BATCH, HEADS, LENGTH, HEAD_DIM));
            NDArray key = manager.create(gaussian(random, BATCH * KV_HEADS * total * HEAD_DIM),
                    new Shape(BATCH, KV_HEADS, total, HEAD_DIM));
            NDArray value = manager.create(gaussian(random, BATCH * KV_HEADS * total * HEAD_DIM),
                    new Shape(BATCH, KV_HEADS, total, HEAD_DIM));
            NDArray weights = manager.create(gaussian(random, BATCH * HEADS * LENGTH * HEAD_DIM),
                    new Shape(BATCH, HEADS, LENGTH, HEAD_DIM));
            // Causal over the sequence after a fully visible prefix; the second row's last key is padding.
            float[] mask = new float[BATCH * LENGTH * total];
            for (int b = 0; b < BATCH; b++) {
                for (int q = 0; q < LENGTH; q++) {
                    for (int k = 0; k < total; k++) {
                        boolean hidden = k >= PREFIX && k - PREFIX > q || b == 1 && k == total - 1;
                        mask[(b * LENGTH + q) * total + k] = hidden ? -1e9f : 0f;
                    }
                }
            }
            NDArray additive = manager.create(mask, new Shape(BATCH, 1, LENGTH, total));
            query.setRequiresGradient(true);
            key.setRequiresGradient(true);
            value.setRequiresGradient(true);
            float[] out;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray attended = Attention.attend(query, key, value, additive,
                        manager.create(1f / (float) Math.sqrt(HEAD_DIM)), 0f, maxChunkScores);
                out = attended.toFloatArray();
                collector.backward(attended.mul(weights).sum());
            }
            return new float[][] {out, query.getGradient().toFloatArray(), key.getGradient().toFloatArray(),
                    value.getGradient().toFloatArray()};
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
