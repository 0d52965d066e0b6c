package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.TrainingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCheckpointsTest {
    private static final RegressionData DATA = RegressionData.generate(10, 9);

    @TempDir
    Path temp;

    /** 10 examples, batch 3 (4 steps per epoch, the last short), 9 steps: cosine schedule with warm-up. */
    private static TrainingConfig config(int saveSteps, int limit) {
        return new TrainingConfig(1, 9, 3, 1, 0.05, 0.1, 0.9, 0.999, 1e-8, 2, "cosine", 1.0, 1, 13, saveSteps, limit);
    }

    private static TrainingSummary fit(TrainingConfig config, RegressionMethod method, TrainingCheckpoints checkpoints) {
        return new Trainer(config, ProgressListener.NONE, MetricsSink.NONE, "regression")
                .fit(method, new RegressionObjective(DATA, method), checkpoints);
    }

    @Test
    void resumingFromACheckpointEndsExactlyWhereTheUninterruptedRunEnds() {
        Path dir = temp.resolve("checkpoints");
        try (RegressionMethod straight = new RegressionMethod(0.01);
             RegressionMethod interrupted = new RegressionMethod(0.01);
             RegressionMethod resumed = new RegressionMethod(0.01)) {
            TrainingSummary whole = fit(config(0, 0), straight, null);
            // The "crash": a run that only got to step 5 (max_steps 5 would change the schedule, so the run
            // goes all the way; the checkpoint of step 4 is what a crash after step 5 leaves behind).
            fit(config(4, 0), interrupted, new TrainingCheckpoints(dir, 4, 0, false));
            assertThat(TrainingCheckpoints.latest(dir)).contains(dir.resolve("checkpoint-8"));
            deleteTree(dir.resolve("checkpoint-8"));

            TrainingSummary rest = fit(config(4, 0), resumed, new TrainingCheckpoints(dir, 4, 0, true));

            assertThat(rest.stepLosses()).hasSize(5);
            // Steps 5..9 see the same batches, learning rates and optimizer state as the straight run.
            for (int i = 0; i < 5; i++) {
                assertThat(rest.stepLosses().get(i)).isEqualTo(whole.stepLosses().get(4 + i));
            }
            assertThat(resumed.weightValues()).containsExactly(straight.weightValues());
            assertThat(resumed.biasValue()).isEqualTo(straight.biasValue());
        }
    }

    @Test
    void keepsOnlyTheNewestCheckpointsAndEachIsComplete() throws Exception {
        Path dir = temp.resolve("checkpoints");
        try (RegressionMethod method = new RegressionMethod(0)) {
            fit(config(2, 2), method, new TrainingCheckpoints(dir, 2, 2, false));
        }
        try (Stream<Path> children = Files.list(dir)) {
            assertThat(children.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("checkpoint-6", "checkpoint-8");
        }
        for (String file : new String[] {"trainable.safetensors", "optimizer.safetensors", "trainer_state.json"}) {
            assertThat(dir.resolve("checkpoint-8").resolve(file)).isRegularFile();
        }
        assertThat(Files.readString(dir.resolve("checkpoint-8/trainer_state.json")))
                .contains("\"global_step\" : 8").contains("\"max_steps\" : 9");
    }

    @Test
    void aCheckpointOfAnotherRunIsRefusedWithItsPath() {
        Path dir = temp.resolve("checkpoints");
        try (RegressionMethod method = new RegressionMethod(0)) {
            fit(config(4, 0), method, new TrainingCheckpoints(dir, 4, 0, false));
        }
        TrainingConfig longer = new TrainingConfig(1, 12, 3, 1, 0.05, 0.1, 0.9, 0.999, 1e-8, 2, "cosine", 1.0, 1, 13, 4, 0);
        try (RegressionMethod method = new RegressionMethod(0)) {
            assertThatThrownBy(() -> new Trainer(longer, ProgressListener.NONE, MetricsSink.NONE, "regression")
                    .fit(method, new RegressionObjective(DATA, method), new TrainingCheckpoints(dir, 4, 0, true)))
                    .isInstanceOf(TrainingException.class)
                    .hasMessageContaining(dir.resolve("checkpoint-8").toString())
                    .hasMessageContaining("does not fit this run of 12 steps");
        }
    }

    private static void deleteTree(Path path) {
        try {
            io.finetune4j.runtime.io.AtomicFiles.deleteRecursively(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
