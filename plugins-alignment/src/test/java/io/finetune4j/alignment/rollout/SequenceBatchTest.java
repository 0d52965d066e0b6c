package io.finetune4j.alignment.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceBatchTest {
    @Test
    void maskCoversExactlyTheResponseTokensAndNeverPromptOrPadding() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // row 0: prompt of 3, response of 2 → 5 tokens; row 1: prompt of 1, response of 3 → 4 tokens (+1 pad)
            SequenceBatch batch = SequenceBatch.of(List.of(new long[] {1, 7, 8}, new long[] {1}),
                    List.of(new long[] {20, 2}, new long[] {30, 31, 32}), 0, manager);

            // shifted layout [2, 4]: position t holds token t + 1
            assertThat(batch.mask().toFloatArray()).containsExactly(
                    0, 0, 1, 1,
                    1, 1, 1, 0);
            assertThat(batch.targetIds().toLongArray()).containsExactly(
                    7, 8, 20, 2,
                    30, 31, 32, 0);
            assertThat(batch.scatter(List.of(new double[] {0.5, -1}, new double[] {1, 2, 3})).toFloatArray())
                    .containsExactly(0, 0, 0.5f, -1, 1, 2, 3, 0);
            List<double[]> rows = batch.gather(manager.create(new float[] {9, 9, 4, 5, 6, 7, 8, 9},
                    new ai.djl.ndarray.types.Shape(2, 4)));
            assertThat(rows.get(0)).containsExactly(4, 5);
            assertThat(rows.get(1)).containsExactly(6, 7, 8);
            assertThat(batch.tokens()).isEqualTo(9);
        }
    }
}
