package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class NoGradientTest {
    @Test
    void opsInsideRecordNoGraphAndRecordingResumesAfterwards() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {1f, 2f, 3f});
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray free = NoGradient.call(() -> x.mul(x));
                NDArray recorded = x.mul(x).sum();

                assertThat(free.hasGradient()).isFalse();
                assertThat(free.toFloatArray()).containsExactly(1f, 4f, 9f);
                collector.backward(recorded);
            }
            // d/dx sum(x^2) = 2x: the recorded op after the no-gradient block still trains.
            assertThat(x.getGradient().toFloatArray()).containsExactly(2f, 4f, 6f);
        }
    }
}
