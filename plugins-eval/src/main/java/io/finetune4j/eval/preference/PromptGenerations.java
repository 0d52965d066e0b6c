package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.train.NoGradient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Answers of one model to a list of prompts, as the text metrics generate them: the prompt encoded with the
 * tokenizer's special tokens, the new tokens kept (EOS included when it ended generation). Every prompt
 * uses the same {@link GenerationConfig}, seed included, so two identical models sample identical answers.
 */
public final class PromptGenerations {
    private PromptGenerations() {}

    /** {@code encode(prompt, true)} per prompt; a prompt with no tokens fails with its row's file:line. */
    public static List<long[]> encode(TextTokenizer tokenizer, List<String> prompts, List<Source> sources,
                                      String evaluatorId) {
        List<long[]> encoded = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            long[] ids = tokenizer.encode(prompts.get(i), true);
            if (ids.length == 0) {
                throw new ConfigException(String.format(Locale.ROOT, "%s: %s: \"prompt\" has no tokens and the"
                        + " tokenizer adds no BOS; generation needs at least one prompt token", sources.get(i),
                        evaluatorId));
            }
            encoded.add(ids);
        }
        return encoded;
    }

    /** The new tokens for every prompt; {@code afterEach} runs once per prompt (progress). */
    public static List<long[]> generate(CausalLM model, List<long[]> prompts, GenerationConfig config,
                                        Runnable afterEach) {
        List<long[]> outputs = new ArrayList<>(prompts.size());
        for (long[] prompt : prompts) {
            outputs.add(NoGradient.call(() -> Generator.generate(model, prompt, config).outputIds()));
            afterEach.run();
        }
        return outputs;
    }
}
