package io.finetune4j.runner.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLineTest {
    @Test
    void writesPythonStyleSpacing() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("prompt_ids", new long[] {1, 2});
        line.put("output_ids", new long[] {3});
        line.put("text", "say \"hi\"\n");

        assertThat(JsonLine.of(line)).isEqualTo("{\"prompt_ids\": [1, 2], \"output_ids\": [3], \"text\": \"say \\\"hi\\\"\\n\"}");
    }

    @Test
    void writesNonFiniteNumbersAsNull() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("logprobs", JsonLine.finiteOrNull(new double[] {Double.NaN, -0.5}));

        assertThat(JsonLine.of(line)).isEqualTo("{\"logprobs\": [null, -0.5]}");
    }
}
