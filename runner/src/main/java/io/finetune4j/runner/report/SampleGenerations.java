package io.finetune4j.runner.report;

import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A few greedy generations for the report, so a reader sees what training did to the model's output.
 * Prompts come from the stage's evaluation data, first rows first: rows with a {@code prompt} field
 * (prompt/completion, prompt only, preference, labelled). Text and chat rows carry no prompt, so a stage
 * with only those gets no samples.
 */
public final class SampleGenerations {
    /** Samples per stage: enough to see a change, cheap on any model. */
    public static final int COUNT = 3;
    /** New tokens per sample. */
    public static final int MAX_NEW_TOKENS = 32;

    private SampleGenerations() {}

    /** Up to {@link #COUNT} distinct prompts from the evaluators' data, in evaluator and row order. */
    public static List<String> prompts(StageSpec stage) {
        Set<String> prompts = new LinkedHashSet<>();
        for (EvaluatorSpec evaluator : stage.evaluators()) {
            for (Example example : evaluator.dataset().examples()) {
                prompt(example).ifPresent(prompts::add);
                if (prompts.size() == COUNT) {
                    return List.copyOf(prompts);
                }
            }
        }
        return List.copyOf(prompts);
    }

    /**
     * The prompts of a train-serve parity check: {@link #prompts}, or when the evaluators give none, up to
     * {@link #COUNT} distinct prompts (or texts) of the training rows.
     */
    public static List<String> parityPrompts(StageSpec stage) {
        List<String> evaluation = prompts(stage);
        if (!evaluation.isEmpty()) {
            return evaluation;
        }
        Set<String> prompts = new LinkedHashSet<>();
        for (var data : stage.trainData()) {
            for (Example example : data.examples()) {
                prompt(example).or(() -> example instanceof Example.Text text ? Optional.of(text.text())
                        : Optional.empty()).filter(prompt -> !prompt.isEmpty()).ifPresent(prompts::add);
                if (prompts.size() == COUNT) {
                    return List.copyOf(prompts);
                }
            }
        }
        return List.copyOf(prompts);
    }

    /** Greedy continuations of {@code prompts} by {@code model}, special tokens left out. */
    public static List<SampleGeneration> generate(CausalLM model, List<String> prompts) {
        List<SampleGeneration> samples = new ArrayList<>();
        for (String prompt : prompts) {
            long[] ids = model.tokenizer().encode(prompt, true);
            GenerationResult result = Generator.generate(model, ids, GenerationConfig.greedy(MAX_NEW_TOKENS));
            samples.add(new SampleGeneration(prompt, model.tokenizer().decode(result.outputIds(), true),
                    result.stopReason()));
        }
        return samples;
    }

    private static Optional<String> prompt(Example example) {
        if (example instanceof Example.PromptCompletion row) {
            return Optional.of(row.prompt());
        }
        if (example instanceof Example.PromptOnly row) {
            return Optional.of(row.prompt());
        }
        if (example instanceof Example.Preference row) {
            return Optional.of(row.prompt());
        }
        if (example instanceof Example.Labelled row) {
            return Optional.of(row.prompt());
        }
        return Optional.empty();
    }
}
