package io.finetune4j.runtime.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.chat.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * TRL's conversational preference rows: {@code chosen} and {@code rejected} as message lists, with the prompt
 * implicit (their shared leading messages) or explicit ({@code prompt} as a message list). As TRL
 * v0.19–0.24 {@code trl/data_utils.py} does ({@code extract_prompt}, then {@code apply_chat_template}): the
 * prompt renders with {@code add_generation_prompt} when it ends with a user turn, and each answer is the
 * rendering of prompt + answer with the prompt's rendering cut off the front.
 */
final class ConversationalPreferenceRows {
    private ConversationalPreferenceRows() {}

    /** A preference row whose answers are message lists. */
    static boolean isConversational(JsonNode row) {
        return row.path("chosen").isArray() || row.path("rejected").isArray();
    }

    static Example.Preference preference(JsonNode row, Source source, String where, Supplier<ChatTemplate> templates) {
        List<Example.Message> chosen = RowFormats.messages(row.get("chosen"), "chosen", where);
        List<Example.Message> rejected = RowFormats.messages(row.get("rejected"), "rejected", where);
        List<Example.Message> prompt;
        if (row.hasNonNull("prompt")) {
            prompt = RowFormats.messages(row.get("prompt"), "prompt", where);
        } else {
            int shared = sharedPrompt(chosen, rejected);
            if (shared == 0) {
                throw new ConfigException(where + ": \"chosen\" and \"rejected\" share no leading messages, so the "
                        + "row has no prompt; give one as \"prompt\" (a message list)");
            }
            prompt = chosen.subList(0, shared);
            chosen = chosen.subList(shared, chosen.size());
            rejected = rejected.subList(shared, rejected.size());
        }
        if (!prompt.get(prompt.size() - 1).role().equals("user")) {
            throw new ConfigException(where + ": the prompt's last message is from '" + prompt.get(prompt.size() - 1).role()
                    + "'; a conversational preference prompt must end with a user message (continue_final_message is "
                    + "not supported)");
        }
        ChatTemplate template = templates.get();
        String promptText = template.render(prompt, true).text();
        return new Example.Preference(promptText, answer(template, prompt, chosen, promptText, "chosen", where),
                answer(template, prompt, rejected, promptText, "rejected", where), source);
    }

    /** TRL's extract_prompt: the index of the first differing message, one less when the prompt would end with the assistant. */
    private static int sharedPrompt(List<Example.Message> chosen, List<Example.Message> rejected) {
        int limit = Math.min(chosen.size(), rejected.size());
        int index = 0;
        while (index < limit && chosen.get(index).equals(rejected.get(index))) {
            index++;
        }
        if (index > 0 && chosen.get(index - 1).role().equals("assistant")) {
            index--;
        }
        return index;
    }

    private static String answer(ChatTemplate template, List<Example.Message> prompt, List<Example.Message> answer,
                                 String promptText, String field, String where) {
        List<Example.Message> whole = new ArrayList<>(prompt);
        whole.addAll(answer);
        String text = template.render(whole, false).text();
        if (!text.startsWith(promptText)) {
            throw new ConfigException(where + ": the chat template " + template.origin() + " renders prompt + \"" + field
                    + "\" with a different beginning than the prompt alone, so the answer cannot be cut out");
        }
        return text.substring(promptText.length());
    }
}
