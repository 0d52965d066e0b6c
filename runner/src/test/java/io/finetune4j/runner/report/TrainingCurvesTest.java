package io.finetune4j.runner.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurvesTest {
    @TempDir
    Path dir;

    @Test
    void readsEachStagesValuesLossAndLearningRateFirstAndSkipsNulls() throws Exception {
        Path file = Files.writeString(dir.resolve("metrics.jsonl"), """
                {"stage":"sft","step":1,"grad_norm":2.0,"loss":3.0,"learning_rate":0.1,"epoch":0.5}
                {"stage":"sft","step":2,"grad_norm":null,"loss":2.5,"learning_rate":0.05,"epoch":1.0}
                {"stage":"dpo","step":1,"loss":0.69,"reward_margin":0.1,"kl":0.0}
                """);

        TrainingCurves curves = TrainingCurves.read(file);

        assertThat(curves.of("sft").keySet()).containsExactly("loss", "learning_rate", "grad_norm");
        assertThat(curves.of("sft").get("loss").steps()).containsExactly(1, 2);
        assertThat(curves.of("sft").get("loss").values()).containsExactly(3.0, 2.5);
        assertThat(curves.of("sft").get("grad_norm").steps()).containsExactly(1);
        assertThat(curves.of("dpo").keySet()).containsExactly("loss", "reward_margin", "kl");
        assertThat(curves.of("missing")).isEmpty();
    }

    @Test
    void aMissingFileHasNoCurves() {
        assertThat(TrainingCurves.read(dir.resolve("absent.jsonl")).of("sft")).isEmpty();
    }

    @Test
    void drawsOnePngPerCurveNamedForStageAndValue() throws Exception {
        Path file = Files.writeString(dir.resolve("metrics.jsonl"), """
                {"stage":"a b","step":1,"loss":3.0,"kl/mean":0.2}
                {"stage":"a b","step":2,"loss":2.0,"kl/mean":0.3}
                """);

        var charts = TrainingCurves.read(file).draw("a b", dir.resolve("charts"));

        assertThat(charts.values()).extracting(path -> path.getFileName().toString())
                .containsExactly("a_b-loss.png", "a_b-kl_mean.png");
        for (Path chart : charts.values()) {
            byte[] bytes = Files.readAllBytes(chart);
            assertThat(List.of(bytes[1], bytes[2], bytes[3])).containsExactly((byte) 'P', (byte) 'N', (byte) 'G');
        }
    }
}
