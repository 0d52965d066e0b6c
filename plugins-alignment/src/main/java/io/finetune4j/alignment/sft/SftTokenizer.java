package io.finetune4j.alignment.sft;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.SequenceBuilder;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.Locale;

/**
 * Turns SFT rows into token ids with target flags. Pieces are tokenized one by one, so the target spans
 * are known exactly:
 * <ul>
 *   <li>text: {@code encode(text, special tokens)} (+ EOS), every token a target;
 *   <li>prompt/completion: {@code encode(prompt, special tokens) + encode(completion) (+ EOS)}, targets the
 *       completion and EOS when {@code completion_only_loss};
 *   <li>conversation: a built-in ChatML rendering, one turn as {@code <|im_start|>role\ncontent<|im_end|>\n}
 *       (the first piece with the tokenizer's special tokens, e.g. a BOS), targets an assistant turn's content
 *       and its {@code <|im_end|>} when {@code completion_only_loss}. The checkpoint's own Jinja chat template
 *       is not used yet.
 * </ul>
 * Truncation keeps the first {@code max_length} tokens; an example left without any target token is
 * rejected with its file and line (a target-free example would only dilute nothing and hide a data bug).
 */
final class SftTokenizer {
    static final String IM_START = "<|im_start|>";
    static final String IM_END = "<|im_end|>";

    private final TextTokenizer tokenizer;
    private final SftConfig config;
    private final int maxLength;
    private final long eos;

    SftTokenizer(TextTokenizer tokenizer, SftConfig config, int maxLength) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.maxLength = maxLength;
        long[] eosIds = tokenizer.eosTokenIds();
        if (config.addEos() && eosIds.length == 0) {
            throw new ConfigException("add_eos: the tokenizer declares no EOS token; set add_eos: false");
        }
        this.eos = eosIds.length == 0 ? -1 : eosIds[0];
    }

    TokenizedExample tokenize(Example example) {
        SequenceBuilder sequence = new SequenceBuilder();
        if (example instanceof Example.Text text) {
            sequence.add(tokenizer.encode(text.text(), true), true);
            appendEos(sequence, true);
        } else if (example instanceof Example.PromptCompletion row) {
            boolean onlyCompletion = config.completionOnlyLoss();
            sequence.add(tokenizer.encode(row.prompt(), true), !onlyCompletion);
            sequence.add(tokenizer.encode(row.completion(), false), true);
            appendEos(sequence, true);
        } else if (example instanceof Example.Conversation conversation) {
            renderChatMl(conversation, sequence);
        } else {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: sft trains on text, prompt/completion or messages rows, found a %s row",
                    example.source(), example.getClass().getSimpleName()));
        }
        TokenizedExample full = sequence.build(example.source());
        if (full.targetCount() == 0) {
            throw new ConfigException(example.source() + ": the example has no target token");
        }
        TokenizedExample kept = full.truncate(maxLength);
        if (kept.targetCount() == 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: no target token left after truncation to max_length %d (the example has %d tokens,"
                            + " the first target at position %d); shorten the prompt or raise max_length",
                    example.source(), maxLength, full.length(), firstTarget(full)));
        }
        return kept;
    }

    private void renderChatMl(Example.Conversation conversation, SequenceBuilder sequence) {
        boolean first = true;
        for (Example.Message message : conversation.messages()) {
            boolean target = !config.completionOnlyLoss() || message.role().equals("assistant");
            sequence.add(tokenizer.encode(IM_START + message.role() + "\n", first), !config.completionOnlyLoss());
            sequence.add(tokenizer.encode(message.content(), false), target);
            sequence.add(tokenizer.encode(IM_END, false), target);
            sequence.add(tokenizer.encode("\n", false), !config.completionOnlyLoss());
            first = false;
        }
    }

    private void appendEos(SequenceBuilder sequence, boolean target) {
        if (config.addEos() && (sequence.length() == 0 || sequence.last() != eos)) {
            sequence.add(eos, target);
        }
    }

    private static int firstTarget(TokenizedExample example) {
        boolean[] targets = example.targets();
        for (int i = 1; i < targets.length; i++) {
            if (targets[i]) {
                return i;
            }
        }
        return -1;
    }
}
