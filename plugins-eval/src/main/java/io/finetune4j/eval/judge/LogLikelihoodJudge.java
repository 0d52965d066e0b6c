package io.finetune4j.eval.judge;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.eval.preference.CompletionLogProbs;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.List;
import java.util.Locale;

/**
 * A local judge model read by likelihood rather than by generation: the filled rubric followed by each
 * verdict text is encoded as one string ({@code encode(prompt + verdict, true)}, so the tokenizer merges the
 * verdict with the text before it as it would in running text), and the tokens after the two encodings'
 * common prefix are the verdict tokens. The verdict whose tokens have the larger summed log-probability
 * wins; exactly equal sums are a tie. Small judges that would ramble or never print a clean letter still
 * give a verdict this way, and no sampling is involved.
 */
final class LogLikelihoodJudge implements Judge {
    private final CausalLM judge;
    private final String rubric;
    private final String verdictA;
    private final String verdictB;
    private final String evaluatorId;

    LogLikelihoodJudge(CausalLM judge, String rubric, String verdictA, String verdictB, String evaluatorId) {
        this.judge = judge;
        this.rubric = rubric;
        this.verdictA = verdictA;
        this.verdictB = verdictB;
        this.evaluatorId = evaluatorId;
    }

    @Override
    public Verdict compare(String question, String answerA, String answerB) {
        String prompt = JudgeRubric.fill(rubric, question, answerA, answerB);
        TokenizedExample[] rows = verdictRows(judge.tokenizer(), prompt, verdictA, verdictB, evaluatorId);
        int limit = judge.config().maxPositionEmbeddings();
        int longest = Math.max(rows[0].length(), rows[1].length());
        if (limit > 0 && longest > limit) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: the judge prompt is %d tokens, longer than the"
                    + " judge's context of %d; shorten the rubric or max_new_tokens", evaluatorId, longest, limit));
        }
        double[] sums = CompletionLogProbs.sums(judge, List.of(rows[0], rows[1]), 2, n -> { });
        if (sums[0] > sums[1]) {
            return Verdict.A;
        }
        return sums[0] < sums[1] ? Verdict.B : Verdict.TIE;
    }

    /**
     * {@code prompt + verdictA} and {@code prompt + verdictB} with the tokens after their common prefix as
     * targets; a ConfigException when one encoding is a prefix of the other or they differ from the first
     * token (nothing would predict it).
     */
    static TokenizedExample[] verdictRows(TextTokenizer tokenizer, String prompt, String verdictA, String verdictB,
                                          String evaluatorId) {
        long[] a = tokenizer.encode(prompt + verdictA, true);
        long[] b = tokenizer.encode(prompt + verdictB, true);
        int common = 0;
        while (common < a.length && common < b.length && a[common] == b[common]) {
            common++;
        }
        if (common == a.length || common == b.length) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: verdict_a '%s' and verdict_b '%s' encode so"
                    + " that one is a prefix of the other after the rubric; pick verdicts that differ in their"
                    + " first token", evaluatorId, verdictA, verdictB));
        }
        if (common == 0) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: the rubric encodes to no tokens before the"
                    + " verdict; the verdict must follow some prompt text", evaluatorId));
        }
        return new TokenizedExample[] {targetsFrom(a, common), targetsFrom(b, common)};
    }

    private static TokenizedExample targetsFrom(long[] ids, int first) {
        boolean[] targets = new boolean[ids.length];
        for (int i = first; i < ids.length; i++) {
            targets[i] = true;
        }
        return new TokenizedExample(ids, targets, null);
    }
}
