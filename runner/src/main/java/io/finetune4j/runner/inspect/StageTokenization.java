package io.finetune4j.runner.inspect;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.data.ChatTargets;
import io.finetune4j.runtime.data.CompletionSequence;
import io.finetune4j.runtime.data.SequenceBuilder;
import io.finetune4j.runtime.data.TokenizedExample;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The runtime's tokenization rules for a stage's rows, as the built-in objectives apply them: SFT's for
 * text, prompt/completion and messages rows (TRL's {@code SFTTrainer}: the objective's {@code completion_only_loss},
 * {@code assistant_only_loss}, {@code add_eos} and {@code chat_template} settings when it has them, their
 * defaults otherwise; truncation keeps the first {@code max_length} tokens), and
 * {@link CompletionSequence}'s for preference rows (chosen and rejected, truncation keeps the end). A row
 * left without a target token is dropped, with the reason.
 */
final class StageTokenization {
    /** What one row becomes: its sequences, or why it is dropped. */
    record Result(List<TokenView> views, Optional<String> dropped) {}

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final int maxLength;
    private final boolean completionOnly;
    private final boolean assistantOnly;
    private final boolean addEos;
    private final long eos;

    StageTokenization(TextTokenizer tokenizer, StageSpec stage, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.maxLength = stage.maxLength();
        Record config = stage.objective().config();
        this.completionOnly = setting(config, "completionOnlyLoss", Boolean.class).orElse(true);
        this.assistantOnly = setting(config, "assistantOnlyLoss", Boolean.class).orElse(true);
        this.addEos = setting(config, "addEos", Boolean.class).orElse(true);
        long[] eosIds = tokenizer.eosTokenIds();
        this.eos = eosIds.length == 0 ? -1 : eosIds[0];
    }

    /** A component of the objective's config record by its Java name, when it has one of that type. */
    static <T> Optional<T> setting(Record config, String name, Class<T> type) {
        if (config == null) {
            return Optional.empty();
        }
        for (RecordComponent component : config.getClass().getRecordComponents()) {
            if (component.getName().equals(name)) {
                try {
                    Object value = component.getAccessor().invoke(config);
                    return type.isInstance(value) ? Optional.of(type.cast(value)) : Optional.empty();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + name + " of " + config.getClass().getName(), e);
                }
            }
        }
        return Optional.empty();
    }

    Result tokenize(Example example) {
        try {
            if (example instanceof Example.Text text) {
                return keepStart("text", sequence(new SequenceBuilder().add(tokenizer.encode(text.text(), true), true), example));
            }
            if (example instanceof Example.PromptCompletion row) {
                return keepStart("sequence", sequence(new SequenceBuilder()
                        .add(tokenizer.encode(row.prompt(), true), !completionOnly)
                        .add(tokenizer.encode(row.completion(), false), true), example));
            }
            if (example instanceof Example.Conversation conversation) {
                return keepStart("sequence", conversation(conversation));
            }
            if (example instanceof Example.Preference pair) {
                return preference(pair);
            }
            String prompt = example instanceof Example.PromptOnly row ? row.prompt() : ((Example.Labelled) example).prompt();
            return context("prompt", tokenizer.encode(prompt, true), example);
        } catch (ConfigException e) {
            return new Result(List.of(), Optional.of(e.getMessage()));
        }
    }

    private TokenizedExample sequence(SequenceBuilder builder, Example example) {
        if (addEos && eos >= 0 && (builder.length() == 0 || builder.last() != eos)) {
            builder.add(eos, true);
        }
        return builder.build(example.source());
    }

    private TokenizedExample conversation(Example.Conversation conversation) {
        // What the sft objective trains on: the one ChatTargets rule, EOS appended as SFT appends it.
        return new ChatTargets(tokenizer, template, assistantOnly).tokenize(conversation, addEos ? eos : -1);
    }

    private Result keepStart(String label, TokenizedExample full) {
        if (full.targetCount() == 0) {
            return new Result(List.of(), Optional.of("no target token"));
        }
        TokenizedExample kept = full.truncate(maxLength);
        if (kept.targetCount() == 0) {
            return new Result(List.of(), Optional.of(String.format(Locale.ROOT,
                    "no target token left after truncation to max_length %d (the row has %d tokens)", maxLength, full.length())));
        }
        return new Result(List.of(new TokenView(label, kept, full.length(), "first " + maxLength + " kept")), Optional.empty());
    }

    private Result preference(Example.Preference pair) {
        long[] prompt = tokenizer.encode(pair.prompt(), true);
        TokenView chosen = completion("chosen", prompt, pair.chosen(), pair);
        TokenView rejected = completion("rejected", prompt, pair.rejected(), pair);
        return new Result(List.of(chosen, rejected), Optional.empty());
    }

    private TokenView completion(String label, long[] prompt, String completion, Example pair) {
        long[] answer = tokenizer.encode(completion, false);
        int full = prompt.length + answer.length + 1;
        TokenizedExample kept = CompletionSequence.of(prompt, answer, eos, maxLength, pair.source());
        return new TokenView(label, kept, full, "last " + maxLength + " kept");
    }

    private static Result context(String label, long[] ids, Example example) {
        return new Result(List.of(new TokenView(label, new TokenizedExample(ids, new boolean[ids.length], example.source()),
                ids.length, "")), Optional.empty());
    }
}
