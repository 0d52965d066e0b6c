package io.finetune4j.eval.judge;

import io.finetune4j.api.model.ModelSource;
import io.finetune4j.eval.generation.GenerationOptions;
import io.finetune4j.eval.preference.ComparedModel;

/**
 * Settings of the {@code llm-judge} evaluator; pipeline files write the keys in snake_case.
 *
 * @param judge the judge checkpoint directory ({@code stage:NAME} or a path); required
 * @param baseline the model compared against: {@code adapters-disabled} (the evaluated model's base) or a
 *     checkpoint directory
 * @param rubric the judge prompt with {@code {question}}, {@code {answer_a}} and {@code {answer_b}}; the
 *     verdict text is appended right after it
 * @param verdictA the text naming answer A as better
 * @param verdictB the text naming answer B as better
 * @param maxNewTokens at most this many new tokens per answer
 * @param temperature 0 for greedy decoding
 * @param topK 0 for off
 * @param topP 1 for off
 * @param seed sampling seed, the same for both answering models
 */
public record LlmJudgeConfig(String judge, String baseline, String rubric, String verdictA, String verdictB,
                             int maxNewTokens, double temperature, int topK, double topP, long seed) {
    static LlmJudgeConfig defaults() {
        GenerationOptions g = GenerationOptions.defaults();
        return new LlmJudgeConfig("", ModelSource.ADAPTERS_DISABLED, JudgeRubric.DEFAULT, "A", "B",
                g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed());
    }

    GenerationOptions generation() {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, false);
    }
}
