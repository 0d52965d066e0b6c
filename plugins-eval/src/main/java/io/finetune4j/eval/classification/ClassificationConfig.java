package io.finetune4j.eval.classification;

import io.finetune4j.eval.generation.GenerationOptions;
import java.util.List;

/**
 * Settings of the {@code accuracy} evaluator.
 *
 * @param labels the label set (required: an empty list is rejected when data or predictions are checked)
 * @param mode {@code generate} (read the label from generated text) or {@code loglik} (the label whose
 *     tokens are most likely as the prompt's completion)
 */
public record ClassificationConfig(List<String> labels, String mode, int maxNewTokens, double temperature, int topK,
                                   double topP, long seed, boolean stopAtNewline) {
    public ClassificationConfig {
        labels = List.copyOf(labels);
    }

    static ClassificationConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new ClassificationConfig(List.of(), "generate", g.maxNewTokens(), g.temperature(), g.topK(), g.topP(),
                g.seed(), g.stopAtNewline());
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtNewline);
    }
}
