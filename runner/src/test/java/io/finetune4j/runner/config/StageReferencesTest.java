package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.testing.PipelineFixture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code base: stage:NAME} and the {@code reward:} key. */
class StageReferencesTest {
    @TempDir
    Path temp;

    private static final String STAGE = """
              - name: %s
                base: %s
                method: lora
                objective: sft
                data: {train: data/train.jsonl}
            %s""";

    @Test
    void aStageMayStartFromAnyEarlierStagesModel() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("stages:\n" + STAGE.formatted("sft", "models/tiny", "")
                + STAGE.formatted("rm", "previous", "") + STAGE.formatted("ppo", "stage:sft", ""));

        PipelineSpec spec = PipelineFixture.parser().parse(file);

        assertThat(spec.stages().get(2).base()).isEqualTo(new BaseSpec.Stage("sft"));
        assertThat(spec.stages().get(2).reward()).isEmpty();
        assertThat(spec.stages().get(2).pipelineDir()).isEqualTo(temp.toAbsolutePath().normalize());
    }

    @Test
    void unknownLaterOrUnmergedStagesAreRefused() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("stages:\n"
                + STAGE.formatted("sft", "models/tiny", "    output: {merge: false}\n")
                + STAGE.formatted("two", "stage:sft", "") + STAGE.formatted("three", "stage:four", "")
                + STAGE.formatted("four", "stage:three", ""));

        assertThatThrownBy(() -> PipelineFixture.parser().parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[1].base: 'stage:sft' needs the model of stages[0], but "
                        + "stages[0].output.merge is false")
                .hasMessageContaining("stages[2].base: 'stage:four' names no earlier stage; earlier stages: "
                        + "[sft, two]")
                .hasMessageNotContaining("stages[3]");
    }

    @Test
    void anUnknownRewardFunctionIsNamedWithTheKnownOnes() {
        PipelineFixture fixture = new PipelineFixture(temp);
        Path file = fixture.pipeline("stages:\n" + STAGE.formatted("sft", "models/tiny", "    reward: {id: nope}\n"));

        assertThatThrownBy(() -> PipelineFixture.parser(List.of("lora"), List.of("sft"), List.of("perplexity"),
                List.of()).parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].reward.id: unknown reward function 'nope'; known: []");
    }
}
