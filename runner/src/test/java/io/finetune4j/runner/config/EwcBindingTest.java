package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.testing.PipelineFixture;
import io.finetune4j.runtime.train.EwcConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EwcBindingTest {
    @TempDir
    Path temp;

    private StageSpec stage(String training) {
        Path file = new PipelineFixture(temp).pipeline("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: %s
                """.formatted(training));
        return PipelineFixture.parser().parse(file).stages().get(0);
    }

    @Test
    void keysBindOntoTheDefaultsOneByOne() {
        assertThat(stage("{ewc: {lambda: 50}}").training().ewc()).isEqualTo(new EwcConfig(50, 64));
        assertThat(stage("{epochs: 1}").training().ewc()).isEqualTo(EwcConfig.defaults());
    }

    @Test
    void badValuesNameTheirKeys() {
        assertThatThrownBy(() -> stage("{ewc: {lambda: 1, alpha: 2}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].training.ewc.alpha: unknown key; known: [fisher_rows, lambda]");
        assertThatThrownBy(() -> stage("{ewc: {lambda: -1, fisher_rows: 0}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stages[0].training.ewc.lambda: must be a number >= 0, was -1.0")
                .hasMessageContaining("stages[0].training.ewc.fisher_rows: must be >= 1, was 0");
    }
}
