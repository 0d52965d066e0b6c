package io.finetune4j.runtime.data;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.chat.RenderedChat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation as token ids with its assistant tokens marked, as transformers'
 * {@code apply_chat_template(return_assistant_tokens_mask=True)} marks them (TRL's {@code assistant_only_loss}):
 * from the template's {@code {% generation %}} spans when it has them; otherwise from rendering differences,
 * the text between {@code render(messages[:i], add_generation_prompt=True)} and {@code render(messages[:i+1])}
 * for each assistant message {@code i}, trailing whitespace left out. The rendered text is tokenized whole,
 * without special tokens (the template writes its own); a character offset maps to the first token that
 * starts at or after it.
 */
public final class ChatTargets {
    private ChatTargets() {}

    /** The rendered text and its character spans of assistant text. */
    public record Marked(String text, List<RenderedChat.Span> spans) {}

    /** Renders {@code conversation} and finds its assistant spans; errors name the row. */
    public static Marked mark(ChatTemplate template, Example.Conversation conversation) {
        List<Example.Message> messages = conversation.messages();
        RenderedChat full = render(template, messages, false, conversation);
        if (template.hasGenerationBlocks()) {
            return new Marked(full.text(), full.generationSpans());
        }
        List<RenderedChat.Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String before = i == 0 ? "" : render(template, messages.subList(0, i), true, conversation).text();
            String through = render(template, messages.subList(0, i + 1), false, conversation).text();
            if (!through.startsWith(before) || !full.text().startsWith(through)) {
                throw new ConfigException(conversation.source() + ": the chat template " + template.origin()
                        + " renders earlier turns differently once message " + (i + 1) + " is added, so the assistant "
                        + "text cannot be located; mark it with {% generation %} ... {% endgeneration %}");
            }
            spans.add(new RenderedChat.Span(before.length(), before.length() + through.substring(before.length()).stripTrailing().length()));
        }
        return new Marked(full.text(), spans);
    }

    /** The ids of {@code marked.text()} and, per token, whether it lies in an assistant span. */
    public static TokenizedExample tokenize(TextTokenizer tokenizer, Marked marked, Example.Conversation conversation) {
        long[] ids = tokenizer.encode(marked.text(), false);
        boolean[] targets = new boolean[ids.length];
        for (RenderedChat.Span span : marked.spans()) {
            int from = boundary(tokenizer, ids, marked.text(), span.start());
            int to = boundary(tokenizer, ids, marked.text(), span.end());
            Arrays.fill(targets, from, Math.max(from, to), true);
        }
        return new TokenizedExample(ids, targets, conversation.source());
    }

    /** How many leading tokens of {@code ids} the text before {@code offset} tokenizes to, agreeing with {@code ids}. */
    private static int boundary(TextTokenizer tokenizer, long[] ids, String text, int offset) {
        long[] prefix = tokenizer.encode(text.substring(0, offset), false);
        int agree = 0;
        while (agree < prefix.length && agree < ids.length && prefix[agree] == ids[agree]) {
            agree++;
        }
        return agree;
    }

    private static RenderedChat render(ChatTemplate template, List<Example.Message> messages, boolean generationPrompt,
                                       Example.Conversation conversation) {
        try {
            return template.render(messages, generationPrompt);
        } catch (ConfigException e) {
            throw new ConfigException(conversation.source() + ": " + e.getMessage(), e);
        }
    }
}
