package io.finetune4j.runtime.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decodes ids with a GGUF's SentencePiece vocabulary ({@code tokenizer.ggml.tokens}) the way llama2.c's
 * {@code run.c} prints them: {@code ▁} is a space, {@code <0xNN>} pieces are raw bytes assembled into
 * UTF-8, control tokens ({@code <s>}, {@code </s>}) print nothing, and the first piece after BOS loses
 * its leading space.
 */
final class SentencePieceDecoder {
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    /** llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
    private static final int TYPE_CONTROL = 3;

    private final List<?> pieces;
    private final List<?> types;

    SentencePieceDecoder(GgufReader gguf) {
        this.pieces = gguf.getArray("tokenizer.ggml.tokens");
        this.types = gguf.has("tokenizer.ggml.token_type") ? gguf.getArray("tokenizer.ggml.token_type") : null;
    }

    /** Text of {@code ids} generated right after BOS. */
    String decodeAfterBos(long[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean first = true;
        for (long id : ids) {
            int index = Math.toIntExact(id);
            if (types != null && ((Number) types.get(index)).intValue() == TYPE_CONTROL) {
                continue;
            }
            String piece = (String) pieces.get(index);
            Matcher bytePiece = BYTE_PIECE.matcher(piece);
            if (bytePiece.matches()) {
                bytes.write(Integer.parseInt(bytePiece.group(1), 16));
            } else {
                String text = piece.replace('\u2581', ' ');
                if (first && text.startsWith(" ")) {
                    text = text.substring(1);
                }
                bytes.writeBytes(text.getBytes(StandardCharsets.UTF_8));
            }
            first = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
