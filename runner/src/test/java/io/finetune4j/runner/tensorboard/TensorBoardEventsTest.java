package io.finetune4j.runner.tensorboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TensorBoard event files of a run, read back with a reader of our own: TFRecord framing with both CRCs
 * checked (a bitwise Castagnoli CRC, independent of the writer's), protobuf decoded field by field.
 */
class TensorBoardEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    /** One decoded Event: wall_time, step, and one of file_version, summary scalars (tag → value), session_log. */
    private record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars,
                         Integer sessionStatus) {}

    @Test
    void aPipelineRunWritesEveryLoggedScalarAndEvaluation() throws Exception {
        TinyProject project = new TinyProject(temp.resolve("project"));
        project.write("data/general.jsonl", """
                {"text": "the cat sat"}
                {"text": "on the mat"}
                """);
        Path pipeline = project.write("pipeline.yaml", """
                name: boards
                seed: 3
                stages:
                  - name: first
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 1.0e-2, max_length: 32, logging_steps: 1}
                    evaluators:
                      - {id: perplexity, data: data/general.jsonl, when: [before, after]}
                  - name: second
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 4}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 3, batch_size: 2, learning_rate: 2.0e-2, max_length: 32, logging_steps: 2}
                    evaluators:
                      - {id: perplexity, data: data/general.jsonl, when: [after]}
                """);
        Path run = temp.resolve("run");
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        assertThat(code).as(err.toString()).isZero();

        Map<String, Map<String, Float>> found = new HashMap<>(); // stage → "tag@step" → value
        for (String stage : List.of("first", "second")) {
            List<Path> files;
            try (Stream<Path> children = Files.list(run.resolve("tensorboard").resolve(stage))) {
                files = children.toList();
            }
            assertThat(files).hasSize(1);
            assertThat(files.get(0).getFileName().toString()).matches("events\\.out\\.tfevents\\.\\d+\\..+");
            List<Event> events = read(files.get(0));
            assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
            Map<String, Float> scalars = new LinkedHashMap<>();
            for (Event event : events.subList(1, events.size())) {
                assertThat(event.wallTime()).isGreaterThan(1.6e9);
                event.scalars().forEach((tag, value) -> assertThat(scalars.put(tag + "@" + event.step(), value))
                        .as("%s at step %d logged once", tag, event.step()).isNull());
            }
            found.put(stage, scalars);
        }

        Map<String, Integer> finalSteps = new HashMap<>();
        int expected = 0;
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode node = JSON.readTree(line);
            String stage = node.get("stage").asText();
            int step = node.get("step").asInt();
            finalSteps.merge(stage, step, Math::max);
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getValue().isNumber() && !field.getKey().equals("step")) {
                    assertThat(found.get(stage)).containsEntry("train/" + field.getKey() + "@" + step,
                            (float) field.getValue().asDouble());
                    expected++;
                }
            }
        }
        assertThat(found.get("first")).containsKeys("train/loss@1", "train/learning_rate@2", "train/grad_norm@2");
        assertThat(found.get("second")).containsKeys("train/loss@2", "train/loss@3");
        int evaluations = 0;
        for (String line : Files.readAllLines(run.resolve("eval.jsonl"))) {
            JsonNode node = JSON.readTree(line);
            String stage = node.get("stage").asText();
            int step = node.get("when").asText().equals("before") ? 0 : finalSteps.get(stage);
            String stem = Path.of(node.get("data").asText()).getFileName().toString().replaceFirst("\\.[^.]*$", "");
            assertThat(found.get(stage)).containsEntry("eval/" + stem + "/" + node.get("metric").asText() + "@" + step,
                    (float) node.get("value").asDouble());
            evaluations++;
        }
        assertThat(evaluations).isEqualTo(3);
        assertThat(found.get("first")).containsKeys("eval/general/perplexity@0", "eval/general/perplexity@2");
        assertThat(found.get("second")).containsKey("eval/general/perplexity@3");
        assertThat(found.values().stream().mapToInt(Map::size).sum()).isEqualTo(expected + evaluations);
    }

    @Test
    void aResumedStageMarksASessionStartAfterItsCheckpoint() throws Exception {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
        try (TensorBoardLog log = new TensorBoardLog(temp, clock, message -> { throw new AssertionError(message); })) {
            log.startStage("sft", 4);
            log.record("sft", 5, Map.of("loss", 1.5));
        }
        Path dir = temp.resolve("tensorboard/sft");
        List<Event> events;
        try (Stream<Path> children = Files.list(dir)) {
            events = read(children.findFirst().orElseThrow());
        }
        assertThat(events).hasSize(3);
        assertThat(events.get(0).wallTime()).isEqualTo(1.7e9);
        assertThat(events.get(1).sessionStatus()).isEqualTo(1);
        assertThat(events.get(1).step()).isEqualTo(5);
        assertThat(events.get(2).scalars()).containsExactly(Map.entry("train/loss", 1.5f));
    }

    @Test
    void theIndependentCrcMatchesTheCastagnoliCheckValue() {
        assertThat(crc32c("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xE3069283);
    }

    /** Every record of {@code file}, both CRCs checked, decoded as an Event. */
    private static List<Event> read(Path file) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] header = new byte[8];
            in.get(header);
            assertThat(in.getInt()).as("masked crc of the length").isEqualTo(masked(crc32c(header)));
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[Math.toIntExact(length)];
            in.get(data);
            assertThat(in.getInt()).as("masked crc of the data").isEqualTo(masked(crc32c(data)));
            events.add(event(data));
        }
        return events;
    }

    private static Event event(byte[] data) {
        ProtoReader proto = new ProtoReader(data);
        double wallTime = 0;
        long step = 0;
        String version = null;
        Integer status = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        while (proto.more()) {
            long key = proto.varint();
            switch ((int) key) {
                case 1 << 3 | 1 -> wallTime = Double.longBitsToDouble(proto.fixed64());
                case 2 << 3 -> step = proto.varint();
                case 3 << 3 | 2 -> version = new String(proto.bytes(), StandardCharsets.UTF_8);
                case 5 << 3 | 2 -> summary(proto.bytes(), scalars);
                case 7 << 3 | 2 -> {
                    ProtoReader log = new ProtoReader(proto.bytes());
                    assertThat(log.varint()).isEqualTo(1 << 3);
                    status = (int) log.varint();
                }
                default -> throw new AssertionError("unexpected Event field key " + key);
            }
        }
        return new Event(wallTime, step, version, scalars, status);
    }

    private static void summary(byte[] data, Map<String, Float> scalars) {
        ProtoReader summary = new ProtoReader(data);
        while (summary.more()) {
            assertThat(summary.varint()).as("Summary.value").isEqualTo(1 << 3 | 2);
            ProtoReader value = new ProtoReader(summary.bytes());
            String tag = null;
            Float simple = null;
            while (value.more()) {
                long key = value.varint();
                if (key == (1 << 3 | 2)) {
                    tag = new String(value.bytes(), StandardCharsets.UTF_8);
                } else if (key == (2 << 3 | 5)) {
                    simple = Float.intBitsToFloat(value.fixed32());
                } else {
                    throw new AssertionError("unexpected Summary.Value field key " + key);
                }
            }
            assertThat(tag).isNotNull();
            assertThat(simple).as(tag).isNotNull();
            scalars.put(tag, simple);
        }
    }

    /** Reads protobuf wire format: varints, fixed32/64 little-endian, length-delimited bytes. */
    private static final class ProtoReader {
        private final ByteBuffer in;

        ProtoReader(byte[] data) {
            in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean more() {
            return in.hasRemaining();
        }

        long varint() {
            long value = 0;
            for (int shift = 0; ; shift += 7) {
                byte b = in.get();
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
        }

        long fixed64() {
            return in.getLong();
        }

        int fixed32() {
            return in.getInt();
        }

        byte[] bytes() {
            byte[] bytes = new byte[Math.toIntExact(varint())];
            in.get(bytes);
            return bytes;
        }
    }

    /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
    private static int crc32c(byte[] data) {
        int crc = 0xFFFFFFFF;
        for (byte b : data) {
            crc ^= b & 0xFF;
            for (int i = 0; i < 8; i++) {
                crc = (crc >>> 1) ^ (0x82F63B78 & -(crc & 1));
            }
        }
        return ~crc;
    }

    private static int masked(int crc) {
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

}
