package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.testing.PipelineFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sft objective's nested {@code kl_to_base} section binds from a pipeline file like every other key. */
class KlToBaseBindingTest {
    @TempDir
    Path temp;

    private StageSpec stage(String objective) {
        Path file = new PipelineFixture(temp).pipeline("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: %s
                    data: {train: data/train.jsonl}
                """.formatted(objective));
        return PipelineFixture.parser().parse(file).stages().get(0);
    }

    @Test
    void coefficientAloneTurnsOnForwardKl() {
        Record config = stage("{id: sft, kl_to_base: {coefficient: 0.1}}").objective().config();

        assertThat(config.toString()).contains("klToBase=KlToBaseConfig[coefficient=0.1, direction=forward]");
    }

    @Test
    void offByDefault() {
        assertThat(stage("sft").objective().config().toString())
                .contains("klToBase=KlToBaseConfig[coefficient=0.0, direction=forward]");
    }

    @Test
    void badDirectionNamesTheNestedKey() {
        assertThatThrownBy(() -> stage("{id: sft, kl_to_base: {coefficient: 0.1, direction: sideways}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].objective.kl_to_base.direction: must be one of [forward, reverse],"
                        + " was 'sideways'");
    }
}
