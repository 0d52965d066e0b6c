package io.finetune4j.runner.console;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;

/**
 * One-line JSON with a space after each {@code :} and {@code ,}, as Python's {@code json.dumps} writes it:
 * {@code {"prompt_ids": [1, 2], "text": "hi"}}. Non-finite numbers are written as {@code null}.
 */
public final class JsonLine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLine() {}

    public static String of(Map<String, ?> values) {
        try {
            return JSON.writer(new SpacedPrinter()).writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + values, e);
        }
    }

    /** Boxes doubles, turning NaN and infinities into null. */
    public static Double[] finiteOrNull(double[] values) {
        Double[] boxed = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = Double.isFinite(values[i]) ? values[i] : null;
        }
        return boxed;
    }

    private static final class SpacedPrinter extends MinimalPrettyPrinter {
        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }
    }
}
