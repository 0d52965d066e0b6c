package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlMetricsSinkTest {
    @TempDir
    Path dir;

    @Test
    void writesOneFlushedObjectPerLine() throws Exception {
        Path file = dir.resolve("run/sft/metrics.jsonl");
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("loss", 2.5);
        values.put("learning_rate", 2e-4);
        values.put("rewards/chosen", Double.NaN);
        try (JsonlMetricsSink sink = JsonlMetricsSink.create(file)) {
            sink.record("sft", 10, values);
            sink.record("sft", 20, Map.of("loss", 1.25));

            List<String> lines = Files.readAllLines(file); // before close: flushed per line
            assertThat(lines).containsExactly(
                    "{\"stage\":\"sft\",\"step\":10,\"loss\":2.5,\"learning_rate\":2.0E-4,\"rewards/chosen\":null}",
                    "{\"stage\":\"sft\",\"step\":20,\"loss\":1.25}");
            JsonNode first = new ObjectMapper().readTree(lines.get(0));
            assertThat(first.get("learning_rate").asDouble()).isEqualTo(2e-4);
        }
    }

    @Test
    void appendsWhenAsked() throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        try (JsonlMetricsSink sink = JsonlMetricsSink.create(file)) {
            sink.record("sft", 1, Map.of("loss", 1.0));
        }
        try (JsonlMetricsSink sink = JsonlMetricsSink.appendingTo(file)) {
            sink.record("dpo", 1, Map.of("loss", 0.5));
        }
        try (JsonlMetricsSink sink = JsonlMetricsSink.create(file)) {
            sink.record("sft", 2, Map.of("loss", 0.25));
        }

        assertThat(Files.readAllLines(file)).containsExactly("{\"stage\":\"sft\",\"step\":2,\"loss\":0.25}");
    }
}
