package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runner.testing.PipelineFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataMixtureTest {
    @TempDir
    Path temp;

    private static Dataset texts(String name, int rows) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            examples.add(new Example.Text(name + i, new Source(name, i + 1)));
        }
        return new Dataset(name, examples);
    }

    @Test
    void countsFollowTheWeightsAndKeepTheTotal() {
        List<DataMixture.Part> parts = List.of(new DataMixture.Part(texts("a", 10), 3),
                new DataMixture.Part(texts("b", 10), 1));

        // 20 rows in all: 15 and 5.
        assertThat(DataMixture.counts(parts, 20)).containsExactly(15, 5);
        // Largest remainder: 7 * 1/3 = 2.33, 7 * 2/3 = 4.67 -> 2 and 5.
        assertThat(DataMixture.counts(List.of(new DataMixture.Part(texts("a", 1), 1),
                new DataMixture.Part(texts("b", 1), 2)), 7)).containsExactly(2, 5);
    }

    @Test
    void upsamplesByRepeatingEveryRowAndDownsamplesWithoutReplacement() {
        Dataset mixed = DataMixture.mix(List.of(new DataMixture.Part(texts("a", 4), 3),
                new DataMixture.Part(texts("b", 12), 1)), 7);

        Map<String, Integer> seen = new HashMap<>();
        mixed.examples().forEach(e -> seen.merge(((Example.Text) e).text(), 1, Integer::sum));
        assertThat(mixed.size()).isEqualTo(16);
        // a asks for 12 of its 4 rows: each exactly 3 times.
        for (int i = 0; i < 4; i++) {
            assertThat(seen.get("a" + i)).isEqualTo(3);
        }
        // b gets 4 distinct rows of its 12.
        assertThat(seen.keySet().stream().filter(k -> k.startsWith("b")).count()).isEqualTo(4);
        assertThat(seen.entrySet().stream().filter(e -> e.getKey().startsWith("b")).mapToInt(Map.Entry::getValue).sum())
                .isEqualTo(4);
        assertThat(mixed.name()).isEqualTo("mixture(a×12, b×4)");
    }

    @Test
    void sameSeedSameMixtureOtherSeedOtherSample() {
        List<DataMixture.Part> parts = List.of(new DataMixture.Part(texts("a", 50), 1),
                new DataMixture.Part(texts("b", 50), 1), new DataMixture.Part(texts("c", 50), 4));
        assertThat(DataMixture.mix(parts, 1).examples()).isEqualTo(DataMixture.mix(parts, 1).examples());
        assertThat(DataMixture.mix(parts, 1).examples()).isNotEqualTo(DataMixture.mix(parts, 2).examples());
    }

    @Test
    void pipelineWithWeightedFilesTrainsOnOneMixture() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data:
                      train:
                        - {path: data/train.jsonl, weight: 3}
                        - {path: data/heldout.jsonl, weight: 1}
                """);

        StageSpec stage = PipelineFixture.parser().parse(file).stages().get(0);

        assertThat(stage.trainFiles()).hasSize(2);
        assertThat(stage.trainData()).hasSize(1);
        assertThat(stage.trainData().get(0).size()).isEqualTo(4);
        assertThat(stage.trainData().get(0).examples().stream().filter(Example.PromptCompletion.class::isInstance))
                .hasSize(3);
    }

    @Test
    void badWeightsAndMissingPathsAreReportedWithTheirPath() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data:
                      train:
                        - {path: data/train.jsonl, weight: -1}
                        - {weight: 2}
                        - {path: data/heldout.jsonl, wieght: 2}
                """);

        assertThatThrownBy(() -> PipelineFixture.parser().parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].data.train[0].weight: must be a number > 0, was -1")
                .hasMessageContaining("stages[0].data.train[1].path: missing")
                .hasMessageContaining("stages[0].data.train[2]")
                .hasMessageContaining("wieght");
    }

    @Test
    void pathsResolveAgainstThePipelineAndEarlierStages() throws Exception {
        Path run = java.nio.file.Files.createDirectories(temp.resolve("run/rm"));
        PipelinePaths paths = new PipelinePaths(temp.resolve("pipes"), temp.resolve("run"));

        assertThat(paths.resolve("stage:rm")).isEqualTo(run);
        assertThat(paths.resolve("../models/x")).isEqualTo(temp.resolve("models/x"));
        assertThatThrownBy(() -> paths.resolve("stage:ppo")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("no output of a stage named 'ppo'");
        assertThatThrownBy(() -> paths.resolve("stage:../x")).isInstanceOf(ConfigException.class);
    }

    @Test
    void mixedPrecisionSwitchesAreRefusedBeforeAnyWeightsLoad() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {bf16: true, fp16: false}
                """);

        assertThatThrownBy(() -> PipelineFixture.parser().parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].training.bf16: bfloat16 mixed-precision training is not supported")
                .hasMessageNotContaining("fp16");
    }
}
