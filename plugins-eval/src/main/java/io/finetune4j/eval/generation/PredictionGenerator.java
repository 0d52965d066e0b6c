package io.finetune4j.eval.generation;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Generates one prediction per prompt/completion row, the completion being the reference. The prompt is
 * encoded with the tokenizer's special tokens (as perplexity does); only the new tokens are decoded,
 * skipping special tokens (so a final EOS never shows in the text).
 */
public final class PredictionGenerator {
    private PredictionGenerator() {}

    /** The rows as prompt/completion pairs, or a ConfigException naming the first other row's file:line. */
    public static List<Example.PromptCompletion> requirePromptCompletion(Dataset data, String evaluatorId) {
        for (Example example : data.examples()) {
            if (!(example instanceof Example.PromptCompletion)) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "%s: %s needs prompt/completion rows (the completion is the reference), found a %s row",
                        example.source(), evaluatorId, example.getClass().getSimpleName()));
            }
        }
        return data.examples().stream().map(Example.PromptCompletion.class::cast).toList();
    }

    /** Generates for every row, reporting progress as {@code <task> <dataset name>}. */
    public static List<Prediction> generate(EvalContext context, List<Example.PromptCompletion> rows,
                                            GenerationOptions options, String task) {
        CausalLM model = context.model();
        TextTokenizer tokenizer = model.tokenizer();
        GenerationConfig config = options.toConfig();
        ProgressListener progress = context.progress();
        List<Prediction> predictions = new ArrayList<>(rows.size());
        progress.start(task + " " + context.data().name(), rows.size());
        try {
            for (Example.PromptCompletion row : rows) {
                String text;
                try {
                    text = generateOne(model, tokenizer, row.prompt(), config, options.stopAtNewline());
                } catch (ConfigException e) {
                    throw new ConfigException(row.source() + ": " + task + ": " + e.getMessage(), e);
                }
                predictions.add(new Prediction(text, List.of(row.completion()), row.source()));
                progress.advance(1, "");
            }
        } finally {
            progress.finish();
        }
        return predictions;
    }

    /** The decoded new tokens for one prompt. */
    public static String generateOne(CausalLM model, TextTokenizer tokenizer, String prompt, GenerationConfig config,
                                     boolean stopAtNewline) {
        GenerationResult result = Generator.generate(model, tokenizer.encode(prompt, true), config);
        String text = tokenizer.decode(result.outputIds(), true);
        return stopAtNewline ? firstLine(text) : text;
    }

    /** The text before its first {@code \n} (the whole text when it has none). */
    public static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
