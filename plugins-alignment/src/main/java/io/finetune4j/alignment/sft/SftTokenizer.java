package io.finetune4j.alignment.sft;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.data.ChatTargets;
import io.finetune4j.runtime.data.SequenceBuilder;
import io.finetune4j.runtime.data.TokenizedExample;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;

/**
 * Turns SFT rows into token ids with target flags, as TRL's {@code SFTTrainer} prepares its dataset:
 * <ul>
 *   <li>text: {@code encode(text, special tokens)} (+ EOS), every token a target;
 *   <li>prompt/completion: {@code encode(prompt, special tokens) + encode(completion) (+ EOS)}, targets the
 *       completion and EOS when {@code completion_only_loss}. The pieces are tokenized one by one so the
 *       completion's first token is known exactly (TRL tokenizes prompt and prompt+completion and warns when
 *       they disagree);
 *   <li>messages: the chat template's rendering, tokenized without adding special tokens (as
 *       {@code apply_chat_template(tokenize=True)} does: the template writes its own BOS), targets from
 *       {@link ChatTargets} when {@code assistant_only_loss}.
 * </ul>
 * EOS is appended when {@code add_eos} and the row does not already end with an EOS token. Truncation keeps the
 * first {@code max_length} tokens; an example left without any target token is rejected with its file and line
 * (a target-free example would only dilute nothing and hide a data bug).
 */
final class SftTokenizer {
    private final TextTokenizer tokenizer;
    private final SftConfig config;
    private final int maxLength;
    private final long eos;
    private final ChatTargets conversations;

    SftTokenizer(TextTokenizer tokenizer, SftConfig config, int maxLength) {
        this(tokenizer, config, maxLength, Path::of);
    }

    /** @param paths resolves a {@code chat_template} path as the pipeline file writes it */
    SftTokenizer(TextTokenizer tokenizer, SftConfig config, int maxLength, Function<String, Path> paths) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.maxLength = maxLength;
        long[] eosIds = tokenizer.eosTokenIds();
        if (config.addEos() && eosIds.length == 0) {
            throw new ConfigException("add_eos: the tokenizer declares no EOS token; set add_eos: false");
        }
        this.eos = eosIds.length == 0 ? -1 : eosIds[0];
        ChatTemplate template = ChatTemplate.resolve(config.chatTemplate(), "chat_template", tokenizer, paths);
        this.conversations = new ChatTargets(tokenizer, template, config.assistantOnlyLoss());
    }

    /** The template messages rows are rendered with. */
    ChatTemplate chatTemplate() {
        return conversations.template();
    }

    TokenizedExample tokenize(Example example) {
        TokenizedExample full;
        if (example instanceof Example.Text text) {
            SequenceBuilder sequence = new SequenceBuilder();
            sequence.add(tokenizer.encode(text.text(), true), true);
            appendEos(sequence);
            full = sequence.build(example.source());
        } else if (example instanceof Example.PromptCompletion row) {
            if (row.completion().isEmpty()) {
                // with add_eos the EOS alone would be trained on; an empty completion is a data bug
                throw new ConfigException(example.source() + ": the example has no target token");
            }
            SequenceBuilder sequence = new SequenceBuilder();
            sequence.add(tokenizer.encode(row.prompt(), true), !config.completionOnlyLoss());
            sequence.add(tokenizer.encode(row.completion(), false), true);
            appendEos(sequence);
            full = sequence.build(example.source());
        } else if (example instanceof Example.Conversation conversation) {
            full = conversations.tokenize(conversation, config.addEos() ? eos : -1);
        } else {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: sft trains on text, prompt/completion or messages rows, found a %s row",
                    example.source(), example.getClass().getSimpleName()));
        }
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

    private void appendEos(SequenceBuilder sequence) {
        if (config.addEos() && (sequence.length() == 0 || sequence.last() != eos)) {
            sequence.add(eos, true);
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
