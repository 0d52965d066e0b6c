package io.finetune4j.runtime.chat;

import io.finetune4j.api.Stable;
import java.util.List;

/**
 * A conversation rendered by a {@link ChatTemplate}.
 *
 * @param text the rendered text, as {@code apply_chat_template(..., tokenize=False)} returns it
 * @param generationSpans character spans of the text the template wrapped in {@code {% generation %}} blocks,
 *     in order (transformers' {@code generation_indices}); empty when the template has no such block
 */
@Stable
public record RenderedChat(String text, List<Span> generationSpans) {
    public RenderedChat {
        generationSpans = List.copyOf(generationSpans);
    }

    /** Characters {@code [start, end)} of the rendered text. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
            }
        }
    }
}
