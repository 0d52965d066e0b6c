package io.finetune4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.data.Source;
import java.util.List;
import org.junit.jupiter.api.Test;

class CausalLmCollatorTest {
    private static final Source SOURCE = new Source("t.jsonl", 1);

    @Test
    void padsOnTheRightAndShiftsTargets() {
        TokenizedExample first = new TokenizedExample(new long[] {5, 6, 7, 8},
                new boolean[] {false, false, true, true}, SOURCE);
        TokenizedExample second = TokenizedExample.allTargets(new long[] {9, 10}, SOURCE);

        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLmBatch batch = CausalLmCollator.collate(List.of(first, second), 3, manager);

            assertThat(batch.inputIds().getShape()).isEqualTo(new Shape(2, 4));
            assertThat(batch.inputIds().getDataType()).isEqualTo(DataType.INT64);
            assertThat(batch.inputIds().toLongArray()).containsExactly(5, 6, 7, 8, 9, 10, 3, 3);
            assertThat(batch.attentionMask().toLongArray()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0);
            assertThat(batch.targetIds().getShape()).isEqualTo(new Shape(2, 3));
            assertThat(batch.targetIds().toLongArray()).containsExactly(6, 7, 8, 10, 0, 0);
            assertThat(batch.targetMask().getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(batch.targetMask().toFloatArray()).containsExactly(0, 1, 1, 1, 0, 0);
            assertThat(batch.lengths()).containsExactly(4, 2);
            assertThat(batch.tokenCount()).isEqualTo(6);
            assertThat(batch.targetCount()).isEqualTo(3);
        }
    }

    @Test
    void truncationKeepsTheFirstTokens() {
        TokenizedExample example = new TokenizedExample(new long[] {1, 2, 3, 4},
                new boolean[] {false, true, false, true}, SOURCE);

        TokenizedExample truncated = example.truncate(3);

        assertThat(truncated.ids()).containsExactly(1, 2, 3);
        assertThat(truncated.targets()).containsExactly(false, true, false);
        assertThat(truncated.targetCount()).isEqualTo(1);
        assertThat(example.truncate(4)).isSameAs(example);
    }

    @Test
    void firstTokenIsNeverCountedAsTarget() {
        assertThat(TokenizedExample.allTargets(new long[] {1, 2, 3}, SOURCE).targetCount()).isEqualTo(2);
    }
}
