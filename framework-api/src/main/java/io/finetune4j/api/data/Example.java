package io.finetune4j.api.data;

import io.finetune4j.api.Stable;
import java.util.List;

/**
 * One row of a dataset, in one of the conventions fine-tuning data comes in. A JSONL line is read as
 * the first kind whose keys it has: {@code chosen}+{@code rejected} → {@link Preference},
 * {@code messages} → {@link Conversation}, {@code prompt}+{@code completion} → {@link PromptCompletion},
 * {@code text} → {@link Text}, {@code prompt}+{@code label} → {@link Labelled},
 * {@code prompt} alone → {@link PromptOnly}.
 */
@Stable
public sealed interface Example {
    Source source();

    /** Plain text; every token is a target. */
    record Text(String text, Source source) implements Example {}

    /** A prompt and its completion; by default only completion tokens are targets. */
    record PromptCompletion(String prompt, String completion, Source source) implements Example {}

    /** Chat messages; by default only assistant tokens are targets. */
    record Conversation(List<Message> messages, Source source) implements Example {
        public Conversation {
            messages = List.copyOf(messages);
        }
    }

    /** A preference pair: the same prompt with a preferred and a dispreferred completion. */
    record Preference(String prompt, String chosen, String rejected, Source source) implements Example {}

    /** A prompt without an answer (PPO and GRPO rollouts). */
    record PromptOnly(String prompt, Source source) implements Example {}

    /** A prompt whose answer is one label of a set (classification). */
    record Labelled(String prompt, String label, Source source) implements Example {}

    /** One chat turn. */
    record Message(String role, String content) {}
}
