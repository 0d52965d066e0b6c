package io.finetune4j.alignment.rollout;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads the prompts of a PPO or GRPO stage. Accepted rows: {@code {"prompt"}} (no reference),
 * {@code {"prompt", "completion"}} (the completion becomes the reward function's
 * {@link io.finetune4j.api.reward.RewardInput#reference()}, e.g. the expected answer) and {@code {"text"}}
 * (the whole text is the prompt). Prompts are encoded with the tokenizer's special tokens (a BOS where it
 * adds one) and no chat template; one longer than {@code maxPromptLength} keeps its last tokens, as
 * TRL's left truncation of prompts does.
 */
public final class RolloutPrompts {
    private RolloutPrompts() {}

    public static List<PromptRow> read(List<Dataset> datasets, TextTokenizer tokenizer, int maxPromptLength,
                                       String neededBy) {
        List<PromptRow> rows = new ArrayList<>();
        for (Dataset dataset : datasets) {
            for (Example example : dataset.examples()) {
                rows.add(row(example, tokenizer, maxPromptLength, neededBy));
            }
        }
        if (rows.isEmpty()) {
            throw new ConfigException(neededBy + ": the training data has no rows");
        }
        return List.copyOf(rows);
    }

    private static PromptRow row(Example example, TextTokenizer tokenizer, int maxPromptLength, String neededBy) {
        String prompt;
        String reference;
        if (example instanceof Example.PromptOnly row) {
            prompt = row.prompt();
            reference = "";
        } else if (example instanceof Example.PromptCompletion row) {
            prompt = row.prompt();
            reference = row.completion();
        } else if (example instanceof Example.Text row) {
            prompt = row.text();
            reference = "";
        } else {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s generates from prompt, prompt/completion or text rows, found a %s row",
                    example.source(), neededBy, example.getClass().getSimpleName()));
        }
        long[] ids = tokenizer.encode(prompt, true);
        if (ids.length == 0) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: %s: the prompt is empty and the tokenizer adds no BOS token to start from",
                    example.source(), neededBy));
        }
        if (ids.length > maxPromptLength) {
            ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
        }
        return new PromptRow(prompt, ids, reference, example.source());
    }
}
