package io.finetune4j.eval.judge;

/**
 * One prompt's outcome for the evaluated model against the baseline, judged in both orders to cancel
 * position bias (as MT-Bench's pairwise judge does): first with the model's answer as A, then as B. The
 * model wins (1) only when both orders prefer it, loses (0) only when both prefer the baseline, and
 * everything else is a tie (0.5): a verdict that flips with the order, or a tie in either order. Identical
 * answers are a tie without asking the judge.
 *
 * @param outcome 1, 0.5 or 0 for the evaluated model
 * @param judged false when the answers were identical and the judge was not asked
 * @param consistent both orders preferred the same answer (or both tied); false when unjudged
 */
record PairwiseJudgement(double outcome, boolean judged, boolean consistent) {
    static PairwiseJudgement of(Judge judge, String question, String modelAnswer, String baselineAnswer) {
        if (modelAnswer.equals(baselineAnswer)) {
            return new PairwiseJudgement(0.5, false, false);
        }
        double first = modelPreference(judge.compare(question, modelAnswer, baselineAnswer), Verdict.A);
        double second = modelPreference(judge.compare(question, baselineAnswer, modelAnswer), Verdict.B);
        boolean consistent = first == second;
        return new PairwiseJudgement(consistent ? first : 0.5, true, consistent);
    }

    /** 1 when the verdict names the model's answer, 0 when it names the baseline's, 0.5 for a tie. */
    private static double modelPreference(Verdict verdict, Verdict modelPosition) {
        if (verdict == Verdict.TIE) {
            return 0.5;
        }
        return verdict == modelPosition ? 1 : 0;
    }
}
