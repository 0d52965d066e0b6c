package io.finetune4j.eval.judge;

import java.util.List;

/**
 * The judge's prompt: a rubric with {@code {question}}, {@code {answer_a}} and {@code {answer_b}}
 * placeholders, filled in one pass (text inside an answer that looks like a placeholder stays as it is).
 * The verdict text is appended right after the filled rubric, so the default ends with {@code "Verdict: "}.
 */
final class JudgeRubric {
    static final String QUESTION = "{question}";
    static final String ANSWER_A = "{answer_a}";
    static final String ANSWER_B = "{answer_b}";
    static final List<String> PLACEHOLDERS = List.of(QUESTION, ANSWER_A, ANSWER_B);

    /**
     * The rubric shipped as the default, written after the idea of FastChat's MT-Bench pairwise prompt
     * (fastchat/llm_judge/data/judge_prompts.jsonl, "pair-v2": impartial judge, ignore order and length) but
     * answered with one letter and without a tie option, since the verdict is read by likelihood.
     */
    static final String DEFAULT = """
            Please act as an impartial judge and evaluate the two answers to the user question below. \
            Choose the answer that follows the user's instructions and answers the question better: consider \
            helpfulness, relevance, accuracy and clarity. Do not let the order of the answers, their length \
            or style influence your decision.

            [Question]
            {question}

            [Answer A]
            {answer_a}

            [Answer B]
            {answer_b}

            Which answer is better? Reply with the letter A or B.
            Verdict:\s""";

    private JudgeRubric() {}

    static String fill(String rubric, String question, String answerA, String answerB) {
        StringBuilder out = new StringBuilder(rubric.length() + question.length() + answerA.length() + answerB.length());
        int i = 0;
        while (i < rubric.length()) {
            if (rubric.startsWith(QUESTION, i)) {
                out.append(question);
                i += QUESTION.length();
            } else if (rubric.startsWith(ANSWER_A, i)) {
                out.append(answerA);
                i += ANSWER_A.length();
            } else if (rubric.startsWith(ANSWER_B, i)) {
                out.append(answerB);
                i += ANSWER_B.length();
            } else {
                out.append(rubric.charAt(i++));
            }
        }
        return out.toString();
    }
}
