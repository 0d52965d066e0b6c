package io.finetune4j.runtime.io;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.SafetensorsReader.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors JSON header with a streaming parser, so memory stays proportional
 * to the number of tensors rather than to a JSON tree of an untrusted, up to 100 MB header.
 */
final class SafetensorsHeader {
    /** PyTorch tensors have at most 64 dimensions. */
    static final int MAX_RANK = 64;

    private static final String METADATA_KEY = "__metadata__";
    private static final int SHOWN_ELEMENTS = 16;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    record Parsed(Map<String, String> metadata, List<TensorInfo> tensors) {}

    private SafetensorsHeader() {}

    static Parsed parse(Path file, byte[] header, long dataSize) {
        checkUtf8(file, header);
        try (JsonParser parser = FACTORY.createParser(header)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ConfigException(file + ": header is not a JSON object");
            }
            Map<String, String> metadata = Map.of();
            List<TensorInfo> tensors = new ArrayList<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals(METADATA_KEY)) {
                    metadata = metadata(file, parser);
                } else {
                    tensors.add(tensor(file, name, parser, dataSize));
                }
            }
            if (parser.nextToken() != null) {
                throw new ConfigException(file + ": header is not valid JSON: content after the closing '}'");
            }
            return new Parsed(metadata, tensors);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // parsing a byte array does no I/O
        }
    }

    /** Rejects bytes that are not UTF-8, decoding through a small reused buffer. */
    private static void checkUtf8(Path file, byte[] header) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw new ConfigException(file + ": header is not valid UTF-8 (at byte " + in.position() + ")");
            }
            out.clear();
            if (result.isUnderflow()) {
                return;
            }
        }
    }

    private static Map<String, String> metadata(Path file, JsonParser parser) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return Map.of();
        }
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new ConfigException(file + ": __metadata__ must be an object of strings, was " + show(parser));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (parser.nextToken() != JsonToken.VALUE_STRING) {
                throw new ConfigException(String.format("%s: __metadata__ '%s' must be a string, was %s",
                        file, key, show(parser)));
            }
            metadata.put(key, parser.getText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo tensor(Path file, String name, JsonParser parser, long dataSize) throws IOException {
        String where = String.format("%s: tensor '%s'", file, name);
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new ConfigException(where + ": entry must be an object with dtype, shape and data_offsets");
        }
        String dtypeText = "null";
        String dtypeName = null;
        Longs shape = Longs.MISSING;
        Longs offsets = Longs.MISSING;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            switch (field) {
                case "dtype" -> {
                    dtypeName = parser.currentToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
                    dtypeText = show(parser);
                }
                case "shape" -> shape = Longs.read(parser, MAX_RANK);
                case "data_offsets" -> offsets = Longs.read(parser, 2);
                default -> parser.skipChildren();
            }
        }
        return validate(where, dtypeName, dtypeText, shape, offsets, dataSize, name);
    }

    private static TensorInfo validate(String where, String dtypeName, String dtypeText, Longs shape, Longs offsets,
                                       long dataSize, String name) {
        if (dtypeName == null) {
            throw new ConfigException(where + ": dtype must be a string, was " + dtypeText);
        }
        SafetensorsDtype dtype = SafetensorsDtype.fromHeaderName(dtypeName)
                .orElseThrow(() -> new ConfigException(String.format("%s: unsupported dtype '%s'; supported: %s",
                        where, dtypeName, SafetensorsDtype.headerNames())));
        if (shape.values() == null) {
            throw new ConfigException(where + ": shape must be a list of non-negative integers, was " + shape.text());
        }
        if (shape.count() > MAX_RANK) {
            throw new ConfigException(String.format("%s: shape has %d dimensions; at most %d are supported",
                    where, shape.count(), MAX_RANK));
        }
        if (offsets.values() == null || offsets.count() != 2) {
            throw new ConfigException(where + ": data_offsets must be two non-negative integers [begin, end], was "
                    + offsets.text());
        }
        long[] dims = shape.values();
        long begin = offsets.values()[0];
        long end = offsets.values()[1];
        String range = "[" + begin + ", " + end + "]";
        if (begin > end) {
            throw new ConfigException(where + ": data_offsets " + range + " end before they begin");
        }
        if (end > dataSize) {
            throw new ConfigException(String.format("%s: data_offsets %s lie outside the data section of %d bytes",
                    where, range, dataSize));
        }
        long needed;
        try {
            long elements = 1;
            for (long dim : dims) {
                elements = Math.multiplyExact(elements, dim);
            }
            needed = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new ConfigException(String.format("%s: shape %s of %s overflows a 64-bit byte count",
                    where, formatShape(dims), dtype), e);
        }
        if (needed != end - begin) {
            throw new ConfigException(String.format("%s: data_offsets %s hold %d bytes but shape %s of %s needs %d",
                    where, range, end - begin, formatShape(dims), dtype, needed));
        }
        return new TensorInfo(name, dtype, new Shape(dims), begin, end);
    }

    static String formatShape(long[] dims) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            text.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return text.append(']').toString();
    }

    /** The current value as short text for a message; structures are skipped, not read into memory. */
    private static String show(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            parser.skipChildren();
            return token == JsonToken.START_OBJECT ? "an object" : "a list";
        }
        return token == JsonToken.VALUE_STRING ? "\"" + parser.getText() + "\"" : parser.getText();
    }

    /**
     * A list of non-negative longs, read element by element.
     *
     * @param values the elements, or null when the value is not such a list (or longer than asked)
     * @param count how many elements the list had
     * @param text the value as written, shortened, for messages
     */
    private record Longs(long[] values, int count, String text) {
        static final Longs MISSING = new Longs(null, 0, "null");

        static Longs read(JsonParser parser, int maxCount) throws IOException {
            if (parser.currentToken() != JsonToken.START_ARRAY) {
                return new Longs(null, 0, show(parser));
            }
            long[] values = new long[Math.min(maxCount, 8)];
            int count = 0;
            boolean valid = true;
            StringBuilder text = new StringBuilder("[");
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                boolean integral = parser.currentToken() == JsonToken.VALUE_NUMBER_INT
                        && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
                long value = integral ? parser.getLongValue() : -1;
                String shown = show(parser);
                if (count < SHOWN_ELEMENTS) {
                    text.append(count == 0 ? "" : ", ").append(shown);
                } else if (count == SHOWN_ELEMENTS) {
                    text.append(", ...");
                }
                if (value < 0) {
                    valid = false;
                } else if (count < maxCount) {
                    if (count == values.length) {
                        values = Arrays.copyOf(values, Math.min(maxCount, values.length * 2));
                    }
                    values[count] = value;
                }
                count++;
            }
            text.append(']');
            if (!valid) {
                return new Longs(null, count, text.toString());
            }
            // A well-formed list longer than allowed keeps its count for the message, not its values.
            return new Longs(count <= maxCount ? Arrays.copyOf(values, count) : new long[0], count, text.toString());
        }
    }
}
