package io.finetune4j.peft.full;

import java.util.List;

/**
 * Settings of the {@code full} method; pipeline files write the keys in snake_case
 * ({@code trainable_layers}, {@code freeze_patterns}).
 *
 * @param trainableLayers decoder layer indices to train ({@code model.layers.N.} / GPT-2's {@code h.N.});
 *     empty trains every parameter, otherwise only the listed layers train and parameters outside any
 *     layer (embeddings, final norm, LM head) stay frozen
 * @param freezePatterns Java regular expressions; a parameter whose Hugging Face name contains a match
 *     ({@code Matcher.find}) stays frozen, e.g. {@code embed_tokens} or {@code \.mlp\.}
 */
public record FullConfig(List<Integer> trainableLayers, List<String> freezePatterns) {
    public FullConfig {
        trainableLayers = List.copyOf(trainableLayers);
        freezePatterns = List.copyOf(freezePatterns);
    }
}
