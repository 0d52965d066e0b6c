package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.runner.testing.PipelineFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReplayTest {
    @TempDir
    Path temp;
    private PipelineFixture fixture;

    @BeforeEach
    void setUp() {
        fixture = new PipelineFixture(temp);
        fixture.write("data/general.jsonl", IntStream.range(0, 40)
                .mapToObj(i -> "{\"text\": \"general text number " + i + "\"}")
                .collect(Collectors.joining("\n", "", "\n")));
    }

    private StageSpec stage(String replay, long seed) {
        Path file = fixture.pipeline("""
                seed: %d
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data:
                      train: [data/train.jsonl, data/train.jsonl, data/train.jsonl, data/train.jsonl]
                      replay: %s
                """.formatted(seed, replay));
        return PipelineFixture.parser().parse(file).stages().get(0);
    }

    private static List<Example> replayRows(StageSpec stage) {
        Dataset last = stage.trainData().get(stage.trainData().size() - 1);
        assertThat(last.name()).startsWith("replay(");
        return last.examples();
    }

    @Test
    void addsRatioTimesTheTrainingRowsOfGeneralText() {
        StageSpec plain = stage("null", 1);
        int trainRows = plain.trainData().stream().mapToInt(Dataset::size).sum();

        StageSpec stage = stage("{path: data/general.jsonl, ratio: 0.5}", 1);

        int expected = (int) Math.round(0.5 * trainRows);
        assertThat(replayRows(stage)).hasSize(expected).doesNotHaveDuplicates()
                .allMatch(row -> row.source().file().endsWith("general.jsonl"));
        assertThat(stage.trainData().stream().mapToInt(Dataset::size).sum()).isEqualTo(trainRows + expected);
        assertThat(stage.trainData().get(stage.trainData().size() - 1).name())
                .isEqualTo("replay(general.jsonl×" + expected + ")");
        assertThat(stage.trainFiles()).isEqualTo(plain.trainFiles());
    }

    @Test
    void theSeedFixesWhichRowsAreReplayed() {
        String replay = "{path: data/general.jsonl, ratio: 0.5}";

        assertThat(replayRows(stage(replay, 1))).isEqualTo(replayRows(stage(replay, 1)));
        assertThat(replayRows(stage(replay, 1))).isNotEqualTo(replayRows(stage(replay, 2)));
    }

    @Test
    void badRatioIsAnErrorNamingTheKey() {
        assertThatThrownBy(() -> stage("{path: data/general.jsonl, ratio: 1.5}", 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].data.replay.ratio: must be a number in (0, 1]: the replay rows as"
                        + " a share of the training rows, was 1.5");
        assertThatThrownBy(() -> stage("{path: data/general.jsonl}", 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].data.replay.ratio: must be a number in (0, 1]");
    }

    @Test
    void missingFileAndUnknownKeysAreReportedUnderReplay() {
        assertThatThrownBy(() -> stage("{path: data/nope.jsonl, ratio: 0.2, weight: 1}", 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].data.replay.path: no such file: data/nope.jsonl")
                .hasMessageContaining("stages[0].data.replay.weight: unknown key");
    }
}
