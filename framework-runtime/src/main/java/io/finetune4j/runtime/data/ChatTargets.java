package io.finetune4j.runtime.data;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.chat.RenderedChat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tokenizes a conversation with its chat template and marks the assistant tokens (TRL's
 * {@code assistant_only_loss}).
 *
 * <p>Where the assistant text is: TRL takes the character spans of the template's {@code {% generation %}}
 * blocks ({@code return_assistant_tokens_mask=True}) and refuses templates without them. Here such templates
 * work too: for each assistant message {@code i}, the text rendered for messages {@code [0, i)} with the
 * generation prompt is a prefix of the text rendered for {@code [0, i]}, and what lies between them (trailing
 * whitespace dropped, e.g. the newline after ChatML's {@code <|im_end|>}) is the assistant turn. A template whose
 * earlier turns render differently once later ones are added is rejected, naming the row.
 *
 * <p>Characters to tokens: the whole rendered text is tokenized at once, like {@code apply_chat_template}; the
 * token boundary for a character offset {@code c} is where {@code encode(text[0, c))} stops agreeing with the
 * full encoding. transformers maps offsets with the fast tokenizer's offset mapping instead; the two agree
 * whenever no token straddles a span boundary (true at special tokens and newlines, where templates put them),
 * and otherwise the straddling token is left out of the span's end.
 *
 * <p>The one implementation: the {@code sft} objective trains on what it returns, and {@code ft4j inspect-data}
 * shows it.
 */
@Stable
public final class ChatTargets {
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final boolean assistantOnly;
    private final List<String> eosTexts;

    public ChatTargets(TextTokenizer tokenizer, ChatTemplate template, boolean assistantOnly) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.assistantOnly = assistantOnly;
        this.eosTexts = Arrays.stream(tokenizer.eosTokenIds())
                .mapToObj(id -> tokenizer.decode(new long[] {id}, false))
                .filter(text -> !text.isEmpty())
                .toList();
    }

    public ChatTemplate template() {
        return template;
    }

    /**
     * The conversation's ids and targets.
     *
     * @param eos appended (as a target) when the last message is the assistant's and the rendered text does
     *     not already end with an EOS token; -1 for never
     */
    public TokenizedExample tokenize(Example.Conversation conversation, long eos) {
        Source source = conversation.source();
        List<Example.Message> messages = conversation.messages();
        if (messages.isEmpty()) {
            throw new ConfigException(source + ": the conversation has no messages");
        }
        RenderedChat rendered = render(messages, false, source);
        String text = rendered.text();
        long[] ids = tokenizer.encode(text, false);
        boolean[] targets = new boolean[ids.length];
        if (!assistantOnly) {
            Arrays.fill(targets, true);
        } else {
            List<RenderedChat.Span> spans = template.hasGenerationBlocks() ? rendered.generationSpans()
                    : prefixSpans(messages, text, source);
            if (spans.isEmpty() && template.hasGenerationBlocks()) {
                throw new ConfigException(source + ": assistant_only_loss: the chat template's {% generation %}"
                        + " blocks mark no text of this conversation (" + template.origin() + ")");
            }
            for (RenderedChat.Span span : spans) {
                int from = tokenBoundary(ids, text, span.start());
                int to = tokenBoundary(ids, text, span.end());
                Arrays.fill(targets, from, Math.max(from, to), true);
            }
        }
        boolean assistantLast = messages.get(messages.size() - 1).role().equals("assistant");
        if (eos >= 0 && assistantLast && !endsWithEos(text)) {
            ids = Arrays.copyOf(ids, ids.length + 1);
            targets = Arrays.copyOf(targets, targets.length + 1);
            ids[ids.length - 1] = eos;
            targets[targets.length - 1] = true;
        }
        return new TokenizedExample(ids, targets, source);
    }

    private RenderedChat render(List<Example.Message> messages, boolean generationPrompt, Source source) {
        try {
            return template.render(messages, generationPrompt);
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /** Assistant turns located by rendering growing prefixes of the conversation (see the class comment). */
    private List<RenderedChat.Span> prefixSpans(List<Example.Message> messages, String full, Source source) {
        List<RenderedChat.Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String before = i == 0 ? emptyPrompt() : render(messages.subList(0, i), true, source).text();
            String through = render(messages.subList(0, i + 1), false, source).text();
            if (!through.startsWith(before) || !full.startsWith(through)) {
                throw new ConfigException(source + ": assistant_only_loss: the chat template (" + template.origin()
                        + ") renders earlier turns differently once message " + (i + 1) + " is added, so the"
                        + " assistant text cannot be located; mark it with {% generation %} ... {% endgeneration %}"
                        + " in the template or set assistant_only_loss: false");
            }
            int end = before.length() + stripTrailing(through.substring(before.length())).length();
            spans.add(new RenderedChat.Span(before.length(), end));
        }
        return spans;
    }

    /** The generation prompt alone (e.g. ChatML's assistant header), for a conversation the assistant opens. */
    private String emptyPrompt() {
        try {
            return template.render(List.of(), true).text();
        } catch (ConfigException e) {
            return ""; // templates may index messages[0]; then there is no header to leave out
        }
    }

    private static String stripTrailing(String text) {
        int end = text.length();
        while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    private boolean endsWithEos(String text) {
        String trimmed = stripTrailing(text);
        return eosTexts.stream().anyMatch(trimmed::endsWith);
    }

    /** The first token index at or after character {@code offset} (see the class comment). */
    private int tokenBoundary(long[] ids, String text, int offset) {
        if (offset <= 0) {
            return 0;
        }
        if (offset >= text.length()) {
            return ids.length;
        }
        long[] prefix = tokenizer.encode(text.substring(0, offset), false);
        int agree = 0;
        while (agree < prefix.length && agree < ids.length && prefix[agree] == ids[agree]) {
            agree++;
        }
        return agree;
    }
}
