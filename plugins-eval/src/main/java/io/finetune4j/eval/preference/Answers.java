package io.finetune4j.eval.preference;

import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.generate.GenerationConfig;
import java.util.List;

/**
 * One model's answers to the evaluation prompts: the generated token ids (EOS included when it ended the
 * answer), their text decoded without special tokens, and the EOS ids of that model's tokenizer.
 */
public record Answers(List<long[]> ids, List<String> texts, long[] eosIds) {
    public Answers {
        ids = List.copyOf(ids);
        texts = List.copyOf(texts);
        eosIds = eosIds.clone();
    }

    /** Generates with {@code model} for every prompt; {@code afterEach} runs once per prompt. */
    public static Answers generate(CausalLM model, List<String> prompts, List<Source> sources, GenerationConfig config,
                                   Runnable afterEach, String evaluatorId) {
        TextTokenizer tokenizer = model.tokenizer();
        List<long[]> encoded = PromptGenerations.encode(tokenizer, prompts, sources, evaluatorId);
        List<long[]> outputs = PromptGenerations.generate(model, encoded, config, afterEach);
        List<String> texts = outputs.stream().map(ids -> tokenizer.decode(ids, true)).toList();
        return new Answers(outputs, texts, tokenizer.eosTokenIds());
    }

    /** The tokens of answer {@code i} without the EOS that ended it. */
    public long[] completion(int i) {
        return CompletionSequences.withoutEos(ids.get(i), eosIds);
    }
}
